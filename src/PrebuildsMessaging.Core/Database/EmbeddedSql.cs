using System.Collections.Concurrent;
using System.Reflection;

namespace PrebuildsMessaging.Database;

/// <summary>
/// The named queries under sql/queries/, embedded into this assembly as <c>sql/queries/NAME.sql</c>.
/// </summary>
internal static class EmbeddedSql
{
    private static readonly Assembly Assembly = typeof(EmbeddedSql).Assembly;
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);

    public static string Query(string name) => Resource($"sql/queries/{name}.sql");

    public static string Resource(string resourceName) => Cache.GetOrAdd(resourceName, static resource =>
    {
        using var stream = Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded SQL resource '{resource}' is missing from {Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
