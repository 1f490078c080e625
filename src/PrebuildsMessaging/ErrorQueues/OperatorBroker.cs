using Microsoft.Extensions.Configuration;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.ErrorQueues;

/// <summary>What the operator commands need of the broker: the AMQP connection settings and the management API.</summary>
public sealed class OperatorBroker : IDisposable
{
    private OperatorBroker(RabbitMqConnection connection, RabbitMqManagementClient management)
    {
        Connection = connection;
        Management = management;
        ErrorQueues = new ErrorQueueDirectory(connection, management);
    }

    public RabbitMqConnection Connection { get; }
    public RabbitMqManagementClient Management { get; }
    public ErrorQueueDirectory ErrorQueues { get; }

    /// <summary>From ConnectionStrings:RabbitMq and RabbitMq:ManagementUrl; a bad setting throws InvalidSettingException.</summary>
    public static OperatorBroker FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connection = RabbitMqConnection.FromConfiguration(configuration);
        return new OperatorBroker(connection, new RabbitMqManagementClient(connection, ManagementEndpoint.Resolve(configuration, connection)));
    }

    public void Dispose() => Management.Dispose();
}
