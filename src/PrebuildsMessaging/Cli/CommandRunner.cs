using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Hosting;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Cli;

/// <summary>Exit codes shared by every subcommand.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    /// <summary>Bad configuration or bad command-line usage: nothing was done.</summary>
    public const int ConfigurationError = 2;
    /// <summary>Coder's administrators have paused prebuilds reconciliation (<c>coder prebuilds pause</c>): the service writes nothing.</summary>
    public const int PausedByCoder = 3;
}

/// <summary>Builds the host for one subcommand, validates configuration, and turns a bad setting into a clear message and exit code 2, and a failure a person can act on into one line and exit code 1.</summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(Func<IHost, CancellationToken, Task<int>> action, CancellationToken cancellationToken,
        Action<HostApplicationBuilder>? configure = null, bool withDatabase = true)
    {
        IHost host;
        try
        {
            host = ServiceHostFactory.CreateBuilder(configure, withDatabase).Build();
            ServiceHostFactory.ValidateOptions(host.Services);
        }
        catch (Exception ex) when (ConfigurationFailures(ex) is { } failures)
        {
            await ReportConfigurationErrorAsync(failures).ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        using (host)
        {
            try
            {
                return await action(host, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ConfigurationFailures(ex) is { } failures)
            {
                await ReportConfigurationErrorAsync(failures).ConfigureAwait(false);
                return ExitCodes.ConfigurationError;
            }
            catch (Exception ex) when (CommandFailure.Describe(ex) is { } failure)
            {
                await Console.Error.WriteLineAsync($"Failed: {failure}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        }
    }

    /// <summary>The messages of a configuration error (each names its setting), or null for any other exception.</summary>
    internal static IReadOnlyList<string>? ConfigurationFailures(Exception exception) => exception switch
    {
        OptionsValidationException validation => validation.Failures.ToList(),
        AggregateException aggregate when aggregate.InnerExceptions.All(e => e is OptionsValidationException) =>
            aggregate.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures).ToList(),
        // The configuration binder's own error, e.g. a value that is not a GUID; it names the setting.
        InvalidOperationException when exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) => [exception.Message],
        // Our own parsers (e.g. ConnectionStrings:RabbitMq, RabbitMq:ManagementUrl) name the setting in the message.
        InvalidSettingException => [exception.Message],
        // Queues on the broker that the settings cannot use as they are (e.g. Bus:QuorumQueues against classic queues).
        QueueConflictException => [exception.Message],
        _ => null,
    };

    internal static async Task ReportConfigurationErrorAsync(IEnumerable<string> failures)
    {
        await Console.Error.WriteLineAsync("Configuration error; nothing was started:").ConfigureAwait(false);
        foreach (var failure in failures)
        {
            await Console.Error.WriteLineAsync($"  - {failure}").ConfigureAwait(false);
        }
    }
}
