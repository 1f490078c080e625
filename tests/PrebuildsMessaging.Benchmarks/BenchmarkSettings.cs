namespace PrebuildsMessaging.Benchmarks;

/// <summary>The benchmark's knobs, from the command line: --name value.</summary>
internal sealed record BenchmarkSettings(
    string AdminConnectionString,
    string Database,
    int Organizations,
    int Templates,
    int Versions,
    int Presets,
    int PrebuildEvery,
    int Iterations,
    bool Reseed)
{
    public long TotalPresets => (long)Organizations * Templates * Versions * Presets;

    public static BenchmarkSettings Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--reseed")
            {
                flags.Add(args[i]);
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                values[args[i]] = args[++i];
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'. Options: --connection CS --database NAME --organizations N --templates N --versions N --presets N --prebuild-every N --iterations N --reseed");
            }
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

        var connection = values.GetValueOrDefault("--connection") ?? Environment.GetEnvironmentVariable("PREBUILDS_BENCH_POSTGRES")
            ?? throw new ArgumentException("Give an admin connection string with --connection or PREBUILDS_BENCH_POSTGRES.");
        return new BenchmarkSettings(connection, values.GetValueOrDefault("--database") ?? "prebuilds_bench",
            Int("--organizations", 200), Int("--templates", 10), Int("--versions", 10), Int("--presets", 50),
            Int("--prebuild-every", 10), Int("--iterations", 20), flags.Contains("--reseed"));
    }
}
