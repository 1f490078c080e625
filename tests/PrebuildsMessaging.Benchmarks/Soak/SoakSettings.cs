using System.Globalization;

namespace PrebuildsMessaging.Benchmarks.Soak;

/// <summary>
/// The fault soak's knobs: <c>soak --connection CS --amqp-ports P1,P2,P3 --management-ports M1,M2,M3 --app DIR
/// --postgres-state DIR --rabbitmq-state DIR [--seed N] [--minutes 20] [--rate 20] [--burst-events 500]</c>.
/// soak.sh starts what it needs and passes the rest.
/// </summary>
internal sealed record SoakSettings(
    string AdminConnectionString,
    IReadOnlyList<int> AmqpPorts,
    IReadOnlyList<int> ManagementPorts,
    string App,
    string Repository,
    string PostgresState,
    string RabbitMqState,
    int Seed,
    TimeSpan Duration,
    int Rate,
    int BurstEvents,
    TimeSpan BurstEvery,
    TimeSpan Idle,
    TimeSpan ConvergedWithin,
    TimeSpan NeverUnconvergedFor,
    string OutputDirectory)
{
    public const int Workers = 3;
    public const string Database = "prebuilds_soak";
    public const string WorkerRole = "prebuilds_soak_worker";

    public const string Usage =
        "soak --connection CS --amqp-ports P1,P2,P3 --management-ports M1,M2,M3 --app DIR --postgres-state DIR --rabbitmq-state DIR " +
        "[--seed N (random)] [--minutes 20] [--rate 20 (transactions a second)] [--burst-events 500] [--burst-every-seconds 60] " +
        "[--idle-seconds 120] [--output DIR]";

    public static SoakSettings Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Count)
            {
                values[args[i]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'. Usage: {Usage}");
            }
        }

        string Required(string name) => values.GetValueOrDefault(name) ?? throw new ArgumentException($"{name} is required. Usage: {Usage}");
        int Int(string name, int fallback) => values.TryGetValue(name, out var v)
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{name} must be an integer, not '{v}'.")
            : fallback;
        double Number(string name, double fallback) => values.TryGetValue(name, out var v)
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{name} must be a number, not '{v}'.")
            : fallback;
        IReadOnlyList<int> Ports(string name)
        {
            var ports = Required(name).Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
            return ports.Count == Workers ? ports : throw new ArgumentException($"{name} takes the {Workers} nodes' ports, comma-separated.");
        }

        var app = Required("--app");
        if (!File.Exists(Path.Combine(app, "PrebuildsMessaging")))
        {
            throw new ArgumentException($"--app {app} holds no published PrebuildsMessaging executable.");
        }

        var settings = new SoakSettings(
            Required("--connection"),
            Ports("--amqp-ports"),
            Ports("--management-ports"),
            app,
            values.GetValueOrDefault("--repository") ?? Directory.GetCurrentDirectory(),
            Required("--postgres-state"),
            Required("--rabbitmq-state"),
            Int("--seed", Random.Shared.Next(1, 1_000_000)),
            TimeSpan.FromMinutes(Number("--minutes", 20)),
            Int("--rate", 20),
            Int("--burst-events", 500),
            TimeSpan.FromSeconds(Int("--burst-every-seconds", 60)),
            TimeSpan.FromSeconds(Int("--idle-seconds", 120)),
            TimeSpan.FromSeconds(15),
            TimeSpan.FromSeconds(30),
            values.GetValueOrDefault("--output") ?? Path.Combine(Path.GetTempPath(), "prebuilds-soak"));
        if (settings.Duration < TimeSpan.FromMinutes(1) || settings.Rate < 1 || settings.BurstEvents < 0 || settings.Idle < TimeSpan.Zero)
        {
            throw new ArgumentException("--minutes must be at least 1, --rate positive, --burst-events and --idle-seconds at least 0.");
        }

        return settings;
    }

    public string AmqpUri(int node) => $"amqp://guest:guest@127.0.0.1:{AmqpPorts[node]}/";

    public string ClusterNodes => string.Join(',', AmqpPorts.Select(p => $"127.0.0.1:{p}"));

    public string ManagementUrls => string.Join(',', ManagementPorts.Select(p => $"http://127.0.0.1:{p}/"));
}
