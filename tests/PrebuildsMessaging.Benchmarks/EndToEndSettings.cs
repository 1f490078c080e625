using System.Globalization;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>The end-to-end benchmark's knobs: <c>e2e --connection CS --rabbitmq URI --management URL [--organizations N] ...</c>.</summary>
internal sealed record EndToEndSettings(
    string AdminConnectionString,
    string RabbitMqUri,
    Uri ManagementUrl,
    string Database,
    string App,
    string Psql,
    int Organizations,
    int LargeOrganizations,
    int BurstEvents,
    int BurstOrganizations,
    bool SkipLoop,
    int Rounds,
    TimeSpan Timeout,
    TimeSpan Idle,
    int FeedChanges,
    int FeedOrganizations,
    int FeedSteadyRate,
    TimeSpan FeedSteady)
{
    public const string Usage =
        "e2e --connection CS --rabbitmq amqp://guest:guest@HOST:PORT/ --management http://HOST:PORT [--app DIR] [--psql PATH] [--organizations 10000] " +
        "[--large-organizations 100000] [--burst-events 1000] [--burst-organizations 50] [--database prebuilds_e2e] [--rounds 3] [--skip-loop] " +
        "[--timeout-seconds 900] [--idle-seconds 600] [--feed-changes 200] [--feed-organizations 200 (5,000 presets each)] [--feed-steady-rate 200] [--feed-steady-seconds 30]";

    public static EndToEndSettings Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var skipLoop = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--skip-loop")
            {
                skipLoop = true;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Count)
            {
                values[args[i]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'. Usage: {Usage}");
            }
        }

        string Required(string name, string environment) =>
            values.GetValueOrDefault(name) ?? Environment.GetEnvironmentVariable(environment)
            ?? throw new ArgumentException($"{name} (or {environment}) is required. Usage: {Usage}");
        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

        var settings = new EndToEndSettings(
            Required("--connection", "PREBUILDS_BENCH_POSTGRES"),
            Required("--rabbitmq", "PREBUILDS_BENCH_RABBITMQ"),
            new Uri(Required("--management", "PREBUILDS_BENCH_RABBITMQ_MANAGEMENT")),
            values.GetValueOrDefault("--database") ?? "prebuilds_e2e",
            values.GetValueOrDefault("--app") ?? AppContext.BaseDirectory,
            values.GetValueOrDefault("--psql") ?? "psql",
            Int("--organizations", 10_000),
            Int("--large-organizations", 100_000),
            Int("--burst-events", 1_000),
            Int("--burst-organizations", 50),
            skipLoop,
            Int("--rounds", 3),
            TimeSpan.FromSeconds(Int("--timeout-seconds", 900)),
            TimeSpan.FromSeconds(Int("--idle-seconds", 600)),
            Int("--feed-changes", 200),
            Int("--feed-organizations", 200),
            Int("--feed-steady-rate", 200),
            TimeSpan.FromSeconds(Int("--feed-steady-seconds", 30)));
        if (settings.Organizations < 1 || settings.LargeOrganizations < 0 || settings.BurstOrganizations < 1 || settings.BurstOrganizations > settings.Organizations
            || settings.BurstEvents < 1 || settings.Rounds < 1 || settings.FeedChanges < 0 || settings.FeedSteadyRate < 1)
        {
            throw new ArgumentException("--organizations, --burst-events, --rounds and --feed-steady-rate must be positive, --large-organizations and --feed-changes at least 0, " +
                "and --burst-organizations between 1 and --organizations.");
        }

        if (!File.Exists(Path.Combine(settings.App, "PrebuildsMessaging")))
        {
            throw new ArgumentException($"--app {settings.App} holds no published PrebuildsMessaging executable.");
        }

        return settings;
    }
}
