using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Cli;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core;
using PrebuildsMessaging.Hosting;

namespace PrebuildsMessaging.Tests.Configuration;

/// <summary>Bad configuration stops start-up with a message that names the setting, and never echoes a secret.</summary>
public sealed class ConfigurationValidationTests
{
    private const string ValidConnectionString = "Host=127.0.0.1;Port=5432;Username=coder;Password=hunter2;Database=coder";

    private static IReadOnlyList<string> FailuresFor(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddLogging().AddPrebuildsCore(configuration).BuildServiceProvider();
        var error = Record.Exception(() => ServiceHostFactory.ValidateOptions(provider));
        if (error is null)
        {
            return [];
        }

        return CommandRunner.ConfigurationFailures(error) ?? throw new InvalidOperationException("not a configuration error", error);
    }

    [Fact]
    public void Valid_settings_pass_with_coders_defaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ValidConnectionString,
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddPrebuildsCore(configuration).BuildServiceProvider();

        ServiceHostFactory.ValidateOptions(provider);
        var options = provider.GetRequiredService<IOptions<PrebuildsOptions>>().Value;

        Assert.Equal(new Guid("c42fdf75-3097-471c-8c33-fb52454d81c0"), options.UserId);
        Assert.Equal("coderprebuiltworkspaces", options.GroupName);
        Assert.Equal("Prebuilt Workspaces", options.GroupDisplayName);
    }

    [Fact]
    public void A_missing_connection_string_names_the_setting() =>
        Assert.Contains(FailuresFor([]), f => f.Contains("ConnectionStrings:Postgres", StringComparison.Ordinal));

    [Fact]
    public void A_malformed_connection_string_names_the_setting_and_hides_the_password()
    {
        var failures = FailuresFor(new() { ["ConnectionStrings:Postgres"] = "Host=db;Password=hunter2;Frobnicate=yes" });

        var failure = Assert.Single(failures);
        Assert.Contains("ConnectionStrings:Postgres", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Prebuilds:UserId", "00000000-0000-0000-0000-000000000000")]
    [InlineData("Prebuilds:UserId", "not-a-guid")]
    [InlineData("Prebuilds:GroupName", "")]
    [InlineData("Prebuilds:GroupName", " padded ")]
    [InlineData("Prebuilds:GroupDisplayName", " ")]
    public void A_bad_prebuilds_setting_is_named(string key, string value)
    {
        var failures = FailuresFor(new() { ["ConnectionStrings:Postgres"] = ValidConnectionString, [key] = value });

        Assert.Contains(failures, f => f.Contains(key, StringComparison.Ordinal));
    }
}
