using Microsoft.Extensions.Options;
using Npgsql;

namespace PrebuildsMessaging.Core.Configuration;

internal sealed class PostgresOptionsValidator : IValidateOptions<PostgresOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(
                $"{PostgresOptions.SettingName} is required: the connection string of Coder's PostgreSQL database " +
                "(environment variable ConnectionStrings__Postgres).");
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                return ValidateOptionsResult.Fail($"{PostgresOptions.SettingName} names no Host.");
            }
        }
        catch (ArgumentException ex)
        {
            // The value may hold a password: name the setting and the parser's complaint, never the value.
            return ValidateOptionsResult.Fail($"{PostgresOptions.SettingName} is not a valid Npgsql connection string: {ex.Message}");
        }

        return ValidateOptionsResult.Success;
    }
}
