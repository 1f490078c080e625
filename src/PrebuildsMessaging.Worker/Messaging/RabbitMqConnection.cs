using PrebuildsMessaging.Configuration;
namespace PrebuildsMessaging.Messaging;

/// <summary>ConnectionStrings:RabbitMq, an amqp:// URI, taken apart for MassTransit.</summary>
public sealed record RabbitMqConnection(string Host, ushort Port, string VirtualHost, string Username, string Password, bool UseTls)
{
    public const string ConnectionStringName = "RabbitMq";
    public const string SettingName = "ConnectionStrings:" + ConnectionStringName;

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

    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Host}:{Port}/{VirtualHost}";
}
