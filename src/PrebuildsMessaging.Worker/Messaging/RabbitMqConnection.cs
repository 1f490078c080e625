using System.Globalization;
using Microsoft.Extensions.Configuration;
using PrebuildsMessaging.Core.Configuration;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>One node of a RabbitMQ cluster.</summary>
public sealed record RabbitMqNode(string Host, ushort Port)
{
    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// ConnectionStrings:RabbitMq, an amqp:// URI, taken apart for MassTransit; with RabbitMq:ClusterNodes, the nodes of a
/// cluster to connect to (the URI then gives the user, password, virtual host and TLS).
/// </summary>
public sealed record RabbitMqConnection(string Host, ushort Port, string VirtualHost, string Username, string Password, bool UseTls)
{
    public const string ConnectionStringName = "RabbitMq";
    public const string SettingName = "ConnectionStrings:" + ConnectionStringName;
    public const string ClusterNodesSettingName = "RabbitMq:ClusterNodes";

    /// <summary>The cluster's nodes, or none for a single broker (the URI's host and port).</summary>
    public IReadOnlyList<RabbitMqNode> ClusterNodes { get; init; } = [];

    /// <summary>Where to connect: the cluster's nodes, or the URI's host and port.</summary>
    public IReadOnlyList<RabbitMqNode> Nodes => ClusterNodes.Count > 0 ? ClusterNodes : [new RabbitMqNode(Host, Port)];

    /// <summary>ConnectionStrings:RabbitMq and RabbitMq:ClusterNodes; an error names the setting and never repeats a value.</summary>
    public static RabbitMqConnection FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connection = Parse(configuration.GetConnectionString(ConnectionStringName));
        return connection with { ClusterNodes = ParseNodes(configuration[ClusterNodesSettingName], connection.UseTls) };
    }

    /// <summary>A comma-separated list of host:port (the port defaults to 5672, or 5671 with amqps).</summary>
    public static IReadOnlyList<RabbitMqNode> ParseNodes(string? nodes, bool useTls)
    {
        if (string.IsNullOrWhiteSpace(nodes))
        {
            return [];
        }

        var parsed = new List<RabbitMqNode>();
        foreach (var entry in nodes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = entry.LastIndexOf(':');
            var host = separator < 0 ? entry : entry[..separator];
            var port = useTls ? 5671 : 5672;
            if (host.Length == 0 || host.Contains('/', StringComparison.Ordinal) || host.Contains('@', StringComparison.Ordinal)
                || (separator >= 0 && !(int.TryParse(entry[(separator + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535)))
            {
                throw new InvalidSettingException(
                    $"{ClusterNodesSettingName} must be a comma-separated list of host:port, e.g. rabbit1:5672,rabbit2:5672,rabbit3:5672; entry {parsed.Count + 1} is not.");
            }

            parsed.Add(new RabbitMqNode(host, (ushort)port));
        }

        return parsed;
    }

    /// <summary>Parses the URI; the error names the setting and never repeats the value (it may hold a password).</summary>
    public static RabbitMqConnection Parse(string? uri)
    {
        if (string.IsNullOrWhiteSpace(uri))
        {
            throw new InvalidSettingException($"{SettingName} is required when Bus:Transport is RabbitMq: an amqp:// URI such as amqp://user:password@host:5672/vhost (environment variable ConnectionStrings__RabbitMq).");
        }

        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("amqp" or "amqps") || string.IsNullOrEmpty(parsed.Host))
        {
            throw new InvalidSettingException($"{SettingName} must be an absolute amqp:// or amqps:// URI with a host.");
        }

        var userInfo = parsed.UserInfo.Split(':', 2);
        var username = userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "guest";
        var password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest";
        var tls = parsed.Scheme == "amqps";
        var port = parsed.IsDefaultPort || parsed.Port <= 0 ? (tls ? 5671 : 5672) : parsed.Port;
        var vhost = parsed.AbsolutePath.Trim('/');
        return new RabbitMqConnection(parsed.Host, (ushort)port, vhost.Length == 0 ? "/" : Uri.UnescapeDataString(vhost), username, password, tls);
    }

    /// <summary>Where it connects, without credentials (for log lines).</summary>
    public override string ToString() => ClusterNodes.Count > 0
        ? $"{(UseTls ? "amqps" : "amqp")}://[{string.Join(",", ClusterNodes)}]/{VirtualHost}"
        : $"{(UseTls ? "amqps" : "amqp")}://{Host}:{Port}/{VirtualHost}";
}
