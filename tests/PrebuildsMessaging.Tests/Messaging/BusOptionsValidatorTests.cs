using Microsoft.Extensions.Configuration;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>Bad Bus:* settings stop start-up with a message that names each setting. No broker needed.</summary>
public sealed class BusOptionsValidatorTests
{
    private static readonly IConfiguration WithBroker = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:RabbitMq"] = "amqp://guest:hunter2@127.0.0.1:5672/" })
        .Build();

    [Fact]
    public void The_defaults_are_valid() =>
        Assert.True(new BusOptionsValidator(WithBroker).Validate(null, new BusOptions()).Succeeded);

    public static TheoryData<string, Action<BusOptions>> BadSettings() => new()
    {
        { "Bus:ReconcileBatchMessageLimit", o => o.ReconcileBatchMessageLimit = 0 },
        { "Bus:ReconcileBatchTimeLimit", o => o.ReconcileBatchTimeLimit = TimeSpan.Zero },
        { "Bus:ReconcileBatchMaxWait", o => o.ReconcileBatchMaxWait = TimeSpan.FromMilliseconds(1) },
        { "Bus:EnsureConcurrency", o => o.EnsureConcurrency = 0 },
        { "Bus:EnsureBatchMessageLimit", o => o.EnsureBatchMessageLimit = 1001 },
        { "Bus:EnsureBatchTimeLimit", o => o.EnsureBatchTimeLimit = TimeSpan.FromMinutes(1) },
        { "Bus:CoverageClockSkew", o => o.CoverageClockSkew = TimeSpan.FromSeconds(-1) },
        { "Bus:CommandChunkSize", o => o.CommandChunkSize = 0 },
        { "Bus:RetryLimit", o => o.RetryLimit = -1 },
        { "Bus:RetryMinInterval", o => o.RetryMaxInterval = TimeSpan.FromMilliseconds(1) },
        { "Bus:CircuitBreakerActivationThreshold", o => o.CircuitBreakerActivationThreshold = 0 },
        { "Bus:CircuitBreakerTripThreshold", o => o.CircuitBreakerTripThreshold = 1.5 },
        { "Bus:CircuitBreakerRestartTimeout", o => o.CircuitBreakerRestartTimeout = TimeSpan.Zero },
        { "Bus:MaxMessageBytes", o => o.MaxMessageBytes = 10 },
        { "Bus:Transport", o => o.Transport = (BusTransport)7 },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void A_bad_setting_is_named(string setting, Action<BusOptions> spoil)
    {
        var options = new BusOptions();
        spoil(options);

        var result = new BusOptionsValidator(WithBroker).Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(setting, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_broker_uri_is_named_only_for_the_rabbitmq_transport()
    {
        var none = new ConfigurationBuilder().Build();

        var rabbit = new BusOptionsValidator(none).Validate(null, new BusOptions { Transport = BusTransport.RabbitMq });
        var inMemory = new BusOptionsValidator(none).Validate(null, new BusOptions { Transport = BusTransport.InMemory });

        Assert.Contains("ConnectionStrings:RabbitMq is required", Assert.Single(rabbit.Failures!), StringComparison.Ordinal);
        Assert.True(inMemory.Succeeded);
    }
}
