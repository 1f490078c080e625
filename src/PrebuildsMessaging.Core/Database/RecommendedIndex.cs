using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Core.Database;

/// <summary>Whether the opt-in index on template_version_presets is there and usable.</summary>
public enum RecommendedIndexState
{
    Present,
    Absent,
    /// <summary>A failed CONCURRENTLY build left it behind, unusable; `migrate --with-recommended-index` rebuilds it.</summary>
    Invalid,
}

/// <summary>
/// The recommended partial index on template_version_presets: without it, a reconciliation scoped to a few
/// organizations reads every preset. Reading its state needs no privilege beyond the catalog.
/// </summary>
public sealed class RecommendedIndex(NpgsqlDataSource dataSource)
{
    public const string Name = "prebuilds_messaging_presets_prebuilds_idx";

    /// <summary>What a scoped reconciliation costs without it, as measured (docs/benchmarks.md).</summary>
    public const string CostWithout =
        "a reconciliation scoped to a few organizations reads every preset of template_version_presets " +
        "(on 1,000,000 presets, 15 to 76 ms for one organization instead of under 1 ms with the index, and more as presets grow)";

    public async Task<RecommendedIndexState> ReadStateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var valid = await connection.QuerySingleOrDefaultAsync<bool?>(new CommandDefinition(
            EmbeddedSql.Load("sql/optional/RecommendedPresetIndexState.sql"), cancellationToken: cancellationToken)).ConfigureAwait(false);
        return valid switch
        {
            true => RecommendedIndexState.Present,
            false => RecommendedIndexState.Invalid,
            null => RecommendedIndexState.Absent,
        };
    }
}
