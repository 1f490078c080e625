using RabbitMQ.Client;

namespace PrebuildsMessaging.Messaging;

/// <summary>Plain AMQP connections for the operator commands and the start-up queue declaration, from ConnectionStrings:RabbitMq.</summary>
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
        if (connection.UseTls)
        {
            factory.Ssl = new SslOption { Enabled = true, ServerName = connection.Host };
        }

        return factory.CreateConnectionAsync(cancellationToken);
    }
}
