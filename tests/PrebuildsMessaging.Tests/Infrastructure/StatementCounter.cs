using System.Diagnostics;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// Counts the SQL commands Npgsql really sends to one database, through Npgsql's own ActivitySource
/// instrumentation (one activity per command executed), filtered by database name.
/// </summary>
public sealed class StatementCounter : IDisposable
{
    /// <summary>In the text of both forms of the status query (every organization, and some).</summary>
    public const string StatusQueryMarker = "OrganizationsWithPrebuildStatus :many";

    /// <summary>In the writer's one statement (Ensure/sql/EnsurePrebuildSetups.sql).</summary>
    public const string EnsureMarker = "EnsurePrebuildSetups :many";

    private readonly ActivityListener listener;
    private readonly List<string> statements = [];

    public StatementCounter(string databaseName)
    {
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (!activity.TagObjects.Any(t => t.Key is "db.namespace" or "db.name" && Equals(t.Value, databaseName)))
                {
                    return;
                }

                var text = activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement");
                if (text is null)
                {
                    return; // not a command (e.g. a connection-open activity)
                }

                lock (statements)
                {
                    statements.Add((string)text);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
    }

    public int Count
    {
        get
        {
            lock (statements)
            {
                return statements.Count;
            }
        }
    }

    public IReadOnlyList<string> Statements
    {
        get
        {
            lock (statements)
            {
                return statements.ToList();
            }
        }
    }

    public void Reset()
    {
        lock (statements)
        {
            statements.Clear();
        }
    }

    public void Dispose() => listener.Dispose();
}
