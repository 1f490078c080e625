namespace PrebuildsMessaging.Cli;

/// <summary>Progress lines written at once, in order (Progress&lt;T&gt; would post them to the thread pool).</summary>
internal sealed class ConsoleProgress : IProgress<string>
{
    public void Report(string value) => Console.WriteLine(value);
}
