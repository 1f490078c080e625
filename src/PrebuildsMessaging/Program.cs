using PrebuildsMessaging.Cli;

return await PrebuildsCommandLine.InvokeAsync(args).ConfigureAwait(false);
