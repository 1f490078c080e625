using Microsoft.Extensions.Configuration;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.ErrorQueues;

/// <summary>
/// Where RabbitMQ's management API is: RabbitMq:ManagementUrl (one URL, or a comma-separated list, one per node of a
/// cluster), or else port 15672 (15671 with TLS) of the broker's host, or of each cluster node's host.
/// </summary>
public static class ManagementEndpoint
{
    public const string SettingName = "RabbitMq:ManagementUrl";

    public static IReadOnlyList<Uri> Resolve(IConfiguration configuration, RabbitMqConnection connection)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(connection);
        var configured = configuration[SettingName];
        if (string.IsNullOrWhiteSpace(configured))
        {
            return connection.Nodes.Select(n => n.Host).Distinct(StringComparer.OrdinalIgnoreCase)
                .Select(host => new Uri($"{(connection.UseTls ? "https" : "http")}://{host}:{(connection.UseTls ? 15671 : 15672)}/"))
                .ToList();
        }

        var urls = new List<Uri>();
        foreach (var entry in configured.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            urls.Add(Uri.TryCreate(entry, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && string.IsNullOrEmpty(uri.UserInfo)
                ? uri
                : throw new InvalidSettingException(
                    $"{SettingName} must be an absolute http:// or https:// URL of RabbitMQ's management API, or a comma-separated list of them, without credentials."));
        }

        return urls;
    }
}
