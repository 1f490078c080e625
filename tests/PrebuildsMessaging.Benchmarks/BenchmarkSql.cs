namespace PrebuildsMessaging.Benchmarks;

/// <summary>The benchmark's own SQL, sql/benchmarks/NAME.sql, embedded into this assembly.</summary>
internal static class BenchmarkSql
{
    public static string Load(string name)
    {
        using var stream = typeof(BenchmarkSql).Assembly.GetManifestResourceStream($"sql/benchmarks/{name}.sql")
            ?? throw new InvalidOperationException($"Missing embedded sql/benchmarks/{name}.sql");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
