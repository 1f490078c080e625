using Microsoft.Extensions.Options;

namespace PrebuildsMessaging.Worker.Observability;

/// <summary>Health:Urls must be http(s) URLs when the listener is on; the message names the setting, never the value.</summary>
internal sealed class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var urls = (options.Urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var valid = urls.Length > 0 && urls.All(url =>
            Uri.TryCreate(url.Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            && uri.Scheme is "http" or "https");
        return valid
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{HealthOptions.SectionName}:Urls must be one or more http:// or https:// URLs separated by ';' (e.g. http://127.0.0.1:9464) while {HealthOptions.SectionName}:Enabled is true.");
    }
}
