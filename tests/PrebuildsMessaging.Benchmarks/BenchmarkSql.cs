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

    /// <summary>One named query of a file that holds several: from its <c>-- name: NAME</c> line to the next query's.</summary>
    public static string Query(string file, string name)
    {
        var text = Load(file);
        var marker = $"-- name: {name} ";
        var start = text.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"sql/benchmarks/{file}.sql has no query named {name}.");
        }

        var next = text.IndexOf("\n-- name: ", start + marker.Length, StringComparison.Ordinal);
        return next < 0 ? text[start..] : text[start..(next + 1)];
    }
}
