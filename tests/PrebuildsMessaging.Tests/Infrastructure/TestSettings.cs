using System.Diagnostics;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>The one way tests merge settings: a test's own over the defaults, then into a configuration or a process.</summary>
public static class TestSettings
{
    /// <summary>The defaults, with every override on top (the defaults dictionary is changed and returned).</summary>
    public static Dictionary<string, string?> Merge(Dictionary<string, string?> defaults, IEnumerable<KeyValuePair<string, string?>>? overrides)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        foreach (var (key, value) in overrides ?? [])
        {
            defaults[key] = value;
        }

        return defaults;
    }

    /// <summary>Settings as an operator's environment variables (Section__Key) of a process.</summary>
    public static void ApplyTo(ProcessStartInfo info, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        ArgumentNullException.ThrowIfNull(info);
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
    }
}
