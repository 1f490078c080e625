using Npgsql;

namespace PrebuildsMessaging.Worker.ChangeFeed;

/// <summary>The reason a stream attempt failed, in one line with what to do when there is something to do.</summary>
public static class ChangeFeedFailure
{
    public static string Reason(Exception exception) => exception switch
    {
        ChangeFeedUnavailableException unavailable => unavailable.Message,
        PostgresException { SqlState: "42501" } denied =>
            $"{denied.MessageText}: the worker's role needs the REPLICATION attribute (ALTER ROLE … REPLICATION)",
        PostgresException { SqlState: "55000" } recovery when recovery.MessageText.Contains("recovery", StringComparison.Ordinal) =>
            $"{recovery.MessageText}: the server is a standby; name the primary, or every host with Target Session Attributes=primary, in ConnectionStrings:Postgres",
        PostgresException postgres => $"{postgres.MessageText} ({postgres.SqlState})",
        NpgsqlException { InnerException: { } inner } npgsql when npgsql.Message.StartsWith("No suitable host", StringComparison.Ordinal) =>
            $"no primary among the hosts of ConnectionStrings:Postgres ({inner.Message})",
        _ => exception?.Message ?? "unknown",
    };
}
