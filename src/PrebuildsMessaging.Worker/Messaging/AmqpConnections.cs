using RabbitMQ.Client;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>Plain AMQP connections for the operator commands and the start-up queue declaration, from ConnectionStrings:RabbitMq (and RabbitMq:ClusterNodes).</summary>
internal static class AmqpConnections
{
    public static Task<IConnection> OpenAsync(RabbitMqConnection connection, string clientName, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            HostName = connection.Host,
            Port = connection.Port,
            VirtualHost = connection.VirtualHost,
            UserName = connection.Username,
            Password = connection.Password,
            ClientProvidedName = clientName,
        };
        // Any node that answers: the URI's host, or one of the cluster's nodes.
        var endpoints = connection.Nodes
            .Select(node => new AmqpTcpEndpoint(node.Host, node.Port, new SslOption { Enabled = connection.UseTls, ServerName = node.Host }))
            .ToList();
        return factory.CreateConnectionAsync(endpoints, clientName, cancellationToken);
    }
}
