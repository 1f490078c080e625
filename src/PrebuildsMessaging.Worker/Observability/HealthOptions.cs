namespace PrebuildsMessaging.Worker.Observability;

/// <summary>The worker's optional HTTP listener for /healthz, /readyz and /metrics (section <c>Health</c>).</summary>
public sealed class HealthOptions
{
    public const string SectionName = "Health";

    public bool Enabled { get; set; } = true;

    /// <summary>Where Kestrel listens; loopback unless an operator decides otherwise.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:9464";
}
