using PrebuildsMessaging.Cli;

return await PrebuildsCommandLine.Create().Parse(args).InvokeAsync().ConfigureAwait(false);
