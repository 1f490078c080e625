namespace PrebuildsMessaging.Worker.Messaging;

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

    /// <summary>
    /// With quorum queues: a message delivered this many times without being acknowledged (each delivery killed the
    /// worker or its connection) is dead-lettered into its _error queue. 0: no limit (queues declared before the limit
    /// existed keep their arguments).
    /// </summary>
    public int QuorumDeliveryLimit { get; set; } = 20;

    /// <summary>At most this many ReconcileRequested messages share one status query.</summary>
    public int ReconcileBatchMessageLimit { get; set; } = 1000;

    /// <summary>
    /// A lone ReconcileRequested is read at once. Requests that arrive while a read runs share the next one, which
    /// starts once none has arrived for this long (a quiet period), after ReconcileBatchMaxWait, or when full.
    /// </summary>
    public TimeSpan ReconcileBatchTimeLimit { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest a waiting batch of ReconcileRequested waits for its quiet period (a steady stream has none).</summary>
    public TimeSpan ReconcileBatchMaxWait { get; set; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Batches of EnsureOrgPrebuildSetup handled at once by one worker (each holds one PostgreSQL connection).</summary>
    public int EnsureConcurrency { get; set; } = 2;

    /// <summary>At most this many EnsureOrgPrebuildSetup commands share one set of set-wise statements.</summary>
    public int EnsureBatchMessageLimit { get; set; } = 250;

    /// <summary>
    /// How long a batch of EnsureOrgPrebuildSetup waits for more commands once the first arrived. A pass sends its
    /// commands together, so a batch fills well within it under load; a lone command waits this long.
    /// </summary>
    public TimeSpan EnsureBatchTimeLimit { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// A change-driven ReconcileRequested made at least this long before a status read of its organizations
    /// (or of all) started is answered by that read, without a query of its own. Covers clock skew between
    /// the replicas and producers that stamp RequestedAt.
    /// </summary>
    public TimeSpan CoverageClockSkew { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>EnsureOrgPrebuildSetup commands are sent in chunks of this size as the status rows stream in.</summary>
    public int CommandChunkSize { get; set; } = 500;

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
