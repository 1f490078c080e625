using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>ConnectionStrings:RabbitMq taken apart, and its promise never to echo a password. No broker needed.</summary>
public sealed class RabbitMqConnectionTests
{
    [Theory]
    [InlineData("amqp://user:p%40ss@rabbit.example:5673/prod", "rabbit.example", 5673, "prod", "user", "p@ss", false)]
    [InlineData("amqps://rabbit.example/", "rabbit.example", 5671, "/", "guest", "guest", true)]
    [InlineData("amqp://127.0.0.1", "127.0.0.1", 5672, "/", "guest", "guest", false)]
    [InlineData("amqp://u:p@h/%2Fteam", "h", 5672, "/team", "u", "p", false)]
    public void A_uri_is_taken_apart(string uri, string host, int port, string vhost, string user, string password, bool tls) =>
        Assert.Equal(new RabbitMqConnection(host, (ushort)port, vhost, user, password, tls), RabbitMqConnection.Parse(uri));

    [Theory]
    [InlineData(null, "is required")]
    [InlineData("", "is required")]
    [InlineData("http://user:hunter2@rabbit.example/", "must be an absolute amqp://")]
    [InlineData("not a uri with hunter2", "must be an absolute amqp://")]
    public void A_bad_uri_names_the_setting_and_never_repeats_the_value(string? uri, string reason)
    {
        var error = Assert.Throws<InvalidSettingException>(() => RabbitMqConnection.Parse(uri));

        Assert.Contains(RabbitMqConnection.SettingName, error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Its_text_has_no_credentials()
    {
        var text = RabbitMqConnection.Parse("amqp://admin:hunter2@rabbit.example:5672/prod").ToString();

        Assert.Equal("amqp://rabbit.example:5672/prod", text);
    }
}
