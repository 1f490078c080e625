using System.CommandLine;
using System.Globalization;

namespace PrebuildsMessaging.Cli;

/// <summary>A duration option that reads 500ms, 60s, 5m, 1h or a TimeSpan (00:01:00).</summary>
internal static class DurationOption
{
    public static Option<TimeSpan> Create(string name, TimeSpan defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (TryParse(text, out var value) && value > TimeSpan.Zero)
            {
                return value;
            }

            result.AddError($"{name} '{text}' is not a positive duration (e.g. 500ms, 60s, 5m, 1h or 00:01:00).");
            return defaultValue;
        },
    };

    public static bool TryParse(string text, out TimeSpan value)
    {
        var units = new (string Suffix, Func<double, TimeSpan> Make)[]
        {
            ("ms", TimeSpan.FromMilliseconds), ("s", TimeSpan.FromSeconds), ("m", TimeSpan.FromMinutes), ("h", TimeSpan.FromHours),
        };
        foreach (var (suffix, make) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                value = make(amount);
                return true;
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }
}
