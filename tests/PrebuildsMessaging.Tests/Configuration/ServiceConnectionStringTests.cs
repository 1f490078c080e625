using Npgsql;
using PrebuildsMessaging.Core.Database;

namespace PrebuildsMessaging.Tests.Configuration;

/// <summary>How the service adjusts ConnectionStrings:Postgres for its pools. No database needed.</summary>
public sealed class ServiceConnectionStringTests
{
    [Fact]
    public void A_plain_connection_string_gets_the_application_name_and_no_pool_reset()
    {
        var adjusted = new NpgsqlConnectionStringBuilder(ServiceConnectionString.From("Host=db;Username=coder;Password=secret;Database=coder"));

        Assert.Equal("PrebuildsMessaging", adjusted.ApplicationName);
        Assert.True(adjusted.NoResetOnClose);
        Assert.Equal(("db", "coder", "secret"), (adjusted.Host, adjusted.Username, adjusted.Password));
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false;Application Name=mine")]
    [InlineData("Host=db;noresetonclose=False;ApplicationName=mine")]
    public void What_the_operator_set_wins(string connectionString)
    {
        var adjusted = new NpgsqlConnectionStringBuilder(ServiceConnectionString.From(connectionString));

        Assert.False(adjusted.NoResetOnClose);
        Assert.Equal("mine", adjusted.ApplicationName);
    }
}
