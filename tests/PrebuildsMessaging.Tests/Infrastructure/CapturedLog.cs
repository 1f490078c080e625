using System.Text;
using Microsoft.Extensions.Logging;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// An in-process host's log, kept in memory instead of the test run's console, so that a passing test prints
/// nothing from the worker; a test that fails can put <see cref="Text"/> in its message.
/// </summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly StringBuilder text = new();

    public string Text
    {
        get
        {
            lock (text)
            {
                return text.ToString();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Append(string line)
    {
        lock (text)
        {
            text.AppendLine(line);
        }
    }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Append($"{logLevel}: {category}: {formatter(state, exception)}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}");
    }
}
