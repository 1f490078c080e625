using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Core.Configuration;

namespace PrebuildsMessaging.Worker.Messaging;

internal sealed class BusOptionsValidator(IConfiguration configuration) : IValidateOptions<BusOptions>
{
    public ValidateOptionsResult Validate(string? name, BusOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Transport))
        {
            failures.Add($"{BusOptions.SectionName}:Transport must be RabbitMq or InMemory.");
        }

        if (options.Transport == BusTransport.RabbitMq)
        {
            try
            {
                RabbitMqConnection.FromConfiguration(configuration);
            }
            catch (InvalidSettingException ex)
            {
                failures.Add(ex.Message);
            }
        }

        if (options.QuorumDeliveryLimit is < 0 or > 1_000)
        {
            failures.Add($"{BusOptions.SectionName}:QuorumDeliveryLimit must be between 0 (no limit) and 1000.");
        }

        if (options.ReconcileBatchMessageLimit is < 1 or > 10_000)
        {
            failures.Add($"{BusOptions.SectionName}:ReconcileBatchMessageLimit must be between 1 and 10000.");
        }

        if (options.ReconcileBatchTimeLimit <= TimeSpan.Zero || options.ReconcileBatchTimeLimit > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{BusOptions.SectionName}:ReconcileBatchTimeLimit must be more than 0 and at most 00:01:00.");
        }

        if (options.ReconcileBatchMaxWait < options.ReconcileBatchTimeLimit || options.ReconcileBatchMaxWait > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{BusOptions.SectionName}:ReconcileBatchMaxWait must be at least {BusOptions.SectionName}:ReconcileBatchTimeLimit and at most 00:05:00.");
        }

        if (options.EnsureConcurrency is < 1 or > 256)
        {
            failures.Add($"{BusOptions.SectionName}:EnsureConcurrency must be between 1 and 256.");
        }

        if (options.EnsureBatchMessageLimit is < 1 or > 1_000)
        {
            failures.Add($"{BusOptions.SectionName}:EnsureBatchMessageLimit must be between 1 and 1000.");
        }

        if (options.EnsureBatchTimeLimit <= TimeSpan.Zero || options.EnsureBatchTimeLimit > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{BusOptions.SectionName}:EnsureBatchTimeLimit must be more than 0 and at most 00:00:10.");
        }

        if (options.CoverageClockSkew < TimeSpan.Zero || options.CoverageClockSkew > TimeSpan.FromHours(1))
        {
            failures.Add($"{BusOptions.SectionName}:CoverageClockSkew must be between 00:00:00 and 01:00:00.");
        }

        if (options.CommandChunkSize is < 1 or > 10_000)
        {
            failures.Add($"{BusOptions.SectionName}:CommandChunkSize must be between 1 and 10000.");
        }

        if (options.RetryLimit is < 0 or > 100)
        {
            failures.Add($"{BusOptions.SectionName}:RetryLimit must be between 0 and 100.");
        }

        if (options.RetryMinInterval <= TimeSpan.Zero || options.RetryMaxInterval < options.RetryMinInterval)
        {
            failures.Add($"{BusOptions.SectionName}:RetryMinInterval must be positive and at most {BusOptions.SectionName}:RetryMaxInterval.");
        }

        if (options.CircuitBreakerActivationThreshold < 1)
        {
            failures.Add($"{BusOptions.SectionName}:CircuitBreakerActivationThreshold must be at least 1.");
        }

        if (options.CircuitBreakerTripThreshold is <= 0 or > 1)
        {
            failures.Add($"{BusOptions.SectionName}:CircuitBreakerTripThreshold must be more than 0 and at most 1.");
        }

        if (options.CircuitBreakerRestartTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{BusOptions.SectionName}:CircuitBreakerRestartTimeout must be at least 00:00:01.");
        }

        if (options.MaxMessageBytes is < 1024 or > 128L * 1024 * 1024)
        {
            failures.Add($"{BusOptions.SectionName}:MaxMessageBytes must be between 1024 and 134217728.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
