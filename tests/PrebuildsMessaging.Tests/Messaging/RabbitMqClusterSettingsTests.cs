using Microsoft.Extensions.Configuration;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.ErrorQueues;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>RabbitMq:ClusterNodes and the management URLs of a cluster. No broker needed.</summary>
public sealed class RabbitMqClusterSettingsTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    [Fact]
    public void Cluster_nodes_come_from_their_setting_and_the_uri_gives_the_rest()
    {
        var connection = RabbitMqConnection.FromConfiguration(Settings(
            ("ConnectionStrings:RabbitMq", "amqp://app:secret@ignored-host:5999/prod"),
            ("RabbitMq:ClusterNodes", "rabbit1:5672, rabbit2:5673 ,rabbit3")));

        Assert.Equal([new RabbitMqNode("rabbit1", 5672), new RabbitMqNode("rabbit2", 5673), new RabbitMqNode("rabbit3", 5672)], connection.Nodes);
        Assert.Equal(("prod", "app", "secret"), (connection.VirtualHost, connection.Username, connection.Password));
        Assert.Equal("amqp://[rabbit1:5672,rabbit2:5673,rabbit3:5672]/prod", connection.ToString());
        Assert.Equal(5671, RabbitMqConnection.ParseNodes("rabbit1", useTls: true).Single().Port);
    }

    [Fact]
    public void Without_cluster_nodes_the_uri_is_the_one_node()
    {
        var connection = RabbitMqConnection.FromConfiguration(Settings(("ConnectionStrings:RabbitMq", "amqp://app:secret@rabbit:5673/")));

        Assert.Empty(connection.ClusterNodes);
        Assert.Equal([new RabbitMqNode("rabbit", 5673)], connection.Nodes);
        Assert.Equal("amqp://rabbit:5673//", connection.ToString());
    }

    [Theory]
    [InlineData("rabbit1:notaport")]
    [InlineData("rabbit1:0")]
    [InlineData("rabbit1:70000")]
    [InlineData("guest:hunter2@rabbit1:5672")]
    [InlineData("amqp://rabbit1:5672")]
    public void A_bad_node_names_the_setting_and_never_repeats_the_value(string nodes)
    {
        var error = Assert.Throws<InvalidSettingException>(() => RabbitMqConnection.ParseNodes(nodes, useTls: false));

        Assert.Contains("RabbitMq:ClusterNodes must be a comma-separated list of host:port", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_management_api_is_each_nodes_host_unless_urls_are_given()
    {
        var cluster = RabbitMqConnection.FromConfiguration(Settings(
            ("ConnectionStrings:RabbitMq", "amqp://app:secret@x/"), ("RabbitMq:ClusterNodes", "rabbit1:5672,rabbit2:5672,rabbit1:5673")));

        Assert.Equal([new Uri("http://rabbit1:15672/"), new Uri("http://rabbit2:15672/")],
            ManagementEndpoint.Resolve(Settings(), cluster));
        Assert.Equal([new Uri("http://127.0.0.1:15681/"), new Uri("http://127.0.0.1:15682/")],
            ManagementEndpoint.Resolve(Settings(("RabbitMq:ManagementUrl", "http://127.0.0.1:15681/, http://127.0.0.1:15682/")), cluster));
        var error = Assert.Throws<InvalidSettingException>(() =>
            ManagementEndpoint.Resolve(Settings(("RabbitMq:ManagementUrl", "http://a/,http://u:hunter2@b/")), cluster));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }
}
