using System.Net.Http;
using Npgsql;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Core.Database.Migrations;

namespace PrebuildsMessaging.Cli;

/// <summary>
/// One line for a failure a person can act on (the database refused or could not be reached, the management API
/// or the broker refused or could not be reached), instead of a stack trace. Null for anything else, which is reported as it is. The lines
/// carry PostgreSQL's and the HTTP client's own texts, which hold no password.
/// </summary>
internal static class CommandFailure
{
    public const string LeastPrivilegeHint = "The role needs the grants in sql/roles/least-privilege.sql (docs/configuration.md, \"A least-privilege role\").";

    public static string? Describe(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case SchemaMissingException missing:
                    return missing.Message;
                case ChangeFeedSetupException feed:
                    return feed.Message;
                case PostgresException { SqlState: "42501" } refused:
                    return $"PostgreSQL refused: {refused.MessageText}. {LeastPrivilegeHint}";
                case PostgresException { SqlState: "28P01" or "28000" } login:
                    return $"PostgreSQL refused the login: {login.MessageText}. Check ConnectionStrings:Postgres.";
                case PostgresException { SqlState: "3D000" } database:
                    return $"PostgreSQL: {database.MessageText}. Check the Database of ConnectionStrings:Postgres.";
                case PostgresException other:
                    return $"PostgreSQL error {other.SqlState}: {other.MessageText}";
                case NpgsqlException { InnerException: System.Net.Sockets.SocketException or TimeoutException } unreachable:
                    return $"Cannot reach PostgreSQL ({unreachable.Message}). Check the Host and Port of ConnectionStrings:Postgres, and that the server runs.";
                case RabbitMQ.Client.Exceptions.AuthenticationFailureException:
                    return "RabbitMQ refused the login (ACCESS_REFUSED). Check the user and password of ConnectionStrings:RabbitMq.";
                case RabbitMQ.Client.Exceptions.BrokerUnreachableException when current.InnerException is not RabbitMQ.Client.Exceptions.AuthenticationFailureException:
                    return "Cannot reach RabbitMQ. Check the host and port of ConnectionStrings:RabbitMq, and that the broker runs.";
                case HttpRequestException { StatusCode: System.Net.HttpStatusCode.Unauthorized }:
                    return "RabbitMQ's management API refused the login (401). Check the user and password of ConnectionStrings:RabbitMq; the user needs the management tag.";
                case HttpRequestException http:
                    return $"RabbitMQ's management API did not answer as expected ({http.Message}). Check RabbitMq:ManagementUrl and that the management plugin runs.";
            }
        }

        return null;
    }
}
