using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using PrebuildsMessaging.Core.ChangeFeed;

namespace PrebuildsMessaging.Cli;

/// <summary>What <c>status</c> shows of the change feed: the publication, the replicas the database sees, the slot's lag.</summary>
internal sealed record ChangeFeedView(bool Publication, IReadOnlyList<ChangeFeedReplica> Replicas, long? LagBytes)
{
    public static async Task<ChangeFeedView> ReadAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var slotName = services.GetRequiredService<IOptions<ChangeFeedOptions>>().Value.SlotName;
        await using var connection = await services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var publication = await ChangeFeedSetup.PublicationExistsAsync(connection, cancellationToken).ConfigureAwait(false);
        var replicas = await services.GetRequiredService<ChangeFeedReplicas>().ReadAsync(slotName, cancellationToken).ConfigureAwait(false);
        var slot = await services.GetRequiredService<ChangeFeedSlot>().ReadAsync(slotName, cancellationToken).ConfigureAwait(false);
        return new ChangeFeedView(publication, replicas, slot.LagBytes);
    }

    /// <summary>The lines for standard error; none when the feed is not set up and no replica runs it.</summary>
    public IEnumerable<string> Lines()
    {
        if (!Publication && Replicas.Count == 0)
        {
            yield break;
        }

        if (!Publication)
        {
            yield return $"change feed: the publication {ChangeFeedSetup.PublicationName} is missing; create it with `migrate --with-change-feed`";
        }

        if (!Replicas.Any(r => r.State is "streaming" or "unknown"))
        {
            yield return "change feed: no replica streams";
        }

        foreach (var replica in Replicas)
        {
            var lag = replica.State == "streaming" && LagBytes is { } bytes ? string.Create(CultureInfo.InvariantCulture, $", lag {bytes} bytes") : "";
            var since = replica.Since is { } start ? string.Create(CultureInfo.InvariantCulture, $" since {start:yyyy-MM-dd HH:mm:ss}Z") : "";
            var state = replica.State == "unknown" ? "state unknown (this role may not see that session; pg_read_all_stats shows it)" : replica.State.Replace('_', ' ');
            yield return $"change feed: replica {replica.Name} {state}{since}{lag}";
        }
    }
}
