using PrebuildsMessaging.Configuration;
using Microsoft.Extensions.Configuration;
using PrebuildsMessaging.Messaging;

namespace PrebuildsMessaging.Operations;

/// <summary>Where RabbitMQ's management API is: RabbitMq:ManagementUrl, or port 15672 of the broker's host.</summary>
public static class ManagementEndpoint
{
    public const string SettingName = "RabbitMq:ManagementUrl";

    public static Uri Resolve(IConfiguration configuration, RabbitMqConnection connection)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(connection);
        var configured = configuration[SettingName];
        if (string.IsNullOrWhiteSpace(configured))
        {
            return new Uri($"{(connection.UseTls ? "https" : "http")}://{connection.Host}:{(connection.UseTls ? 15671 : 15672)}/");
        }

        return Uri.TryCreate(configured, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidSettingException($"{SettingName} must be an absolute http:// or https:// URL of RabbitMQ's management API.");
    }
}
