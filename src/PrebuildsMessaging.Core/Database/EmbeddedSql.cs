using System.Collections.Concurrent;
using System.Reflection;

namespace PrebuildsMessaging.Core.Database;

/// <summary>
/// The SQL embedded into this assembly, by path: a feature's named queries under its folder's sql/
/// (<c>Reconciliation/sql/NAME.sql</c>, one or more queries a file), and the repository's sql/ folder (<c>sql/migrations/…</c>).
/// </summary>
internal static class EmbeddedSql
{
    private static readonly Assembly Assembly = typeof(EmbeddedSql).Assembly;
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    /// <summary>
    /// One named query of a file that holds several, as Coder's sqlc files do: from its <c>-- name: NAME</c> line to
    /// the next query's.
    /// </summary>
    public static string Query(string path, string name) => Cache.GetOrAdd($"{path}#{name}", static (_, arg) =>
    {
        var marker = $"-- name: {arg.name} ";
        var text = Load(arg.path);
        var start = text.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            throw new InvalidOperationException($"The embedded SQL resource '{arg.path}' has no query named {arg.name}.");
        }

        var next = text.IndexOf("\n-- name: ", start + marker.Length, StringComparison.Ordinal);
        return next < 0 ? text[start..] : text[start..(next + 1)];
    }, (path, name));

    public static string Load(string path) => Cache.GetOrAdd(path, static resource =>
    {
        using var stream = Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded SQL resource '{resource}' is missing from {Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
