using System.Collections.Concurrent;
using System.Reflection;

namespace PrebuildsMessaging.Core.Database;

/// <summary>
/// The SQL embedded into this assembly, by path: a feature's named queries under its folder's sql/
/// (<c>Reconciliation/sql/NAME.sql</c>), and the repository's sql/ folder (<c>sql/migrations/…</c>).
/// </summary>
internal static class EmbeddedSql
{
    private static readonly Assembly Assembly = typeof(EmbeddedSql).Assembly;
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    public static string Load(string path) => Cache.GetOrAdd(path, static resource =>
    {
        using var stream = Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded SQL resource '{resource}' is missing from {Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
