using PrebuildsMessaging.Worker.Observability;

namespace PrebuildsMessaging.Tests.Observability;

/// <summary>Health:Urls is checked at start while the listener is on. No server needed.</summary>
public sealed class HealthOptionsValidatorTests
{
    [Theory]
    [InlineData("http://127.0.0.1:9464")]
    [InlineData("http://0.0.0.0:9464;https://127.0.0.1:9465")]
    [InlineData("http://*:9464")]
    public void Listener_urls_are_accepted(string urls) =>
        Assert.True(new HealthOptionsValidator().Validate(null, new HealthOptions { Urls = urls }).Succeeded);

    [Theory]
    [InlineData("")]
    [InlineData("9464")]
    [InlineData("ftp://127.0.0.1:9464")]
    public void Anything_else_is_named(string urls)
    {
        var result = new HealthOptionsValidator().Validate(null, new HealthOptions { Urls = urls });

        Assert.StartsWith("Health:Urls must be", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void A_listener_that_is_off_needs_no_urls() =>
        Assert.True(new HealthOptionsValidator().Validate(null, new HealthOptions { Enabled = false, Urls = "" }).Succeeded);
}
