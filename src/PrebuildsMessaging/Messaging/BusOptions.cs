namespace PrebuildsMessaging.Messaging;

public enum BusTransport
{
    RabbitMq,
    InMemory,
}

/// <summary>The message bus (section <c>Bus</c>); the broker address is <c>ConnectionStrings:RabbitMq</c>.</summary>
public sealed class BusOptions
{
    public const string SectionName = "Bus";

    public BusTransport Transport { get; set; } = BusTransport.RabbitMq;

    /// <summary>Declare quorum queues (RabbitMQ clusters) instead of classic durable queues.</summary>
    public bool QuorumQueues { get; set; }

    /// <summary>At most this many ReconcileRequested messages share one status query.</summary>
    public int ReconcileBatchMessageLimit { get; set; } = 100;

    /// <summary>How long a batch waits for more ReconcileRequested messages once the first arrived.</summary>
    public TimeSpan ReconcileBatchTimeLimit { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>EnsureOrgPrebuildSetup commands handled at once by one worker.</summary>
    public int EnsureConcurrency { get; set; } = 8;

    /// <summary>Redeliveries of a failing message (exponential back-off) before it goes to its _error queue.</summary>
    public int RetryLimit { get; set; } = 5;

    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Circuit breaker (MassTransit's kill switch): it looks at an endpoint once this many messages were handled in the last minute.</summary>
    public int CircuitBreakerActivationThreshold { get; set; } = 10;

    /// <summary>The share of failed messages (0..1) that opens the circuit: the endpoint stops consuming.</summary>
    public double CircuitBreakerTripThreshold { get; set; } = 0.5;

    /// <summary>How long an open circuit waits before the endpoint tries to consume again.</summary>
    public TimeSpan CircuitBreakerRestartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A message body larger than this is refused and goes to the _error queue.</summary>
    public long MaxMessageBytes { get; set; } = 256 * 1024;
}
