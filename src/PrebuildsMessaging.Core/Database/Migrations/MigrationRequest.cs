namespace PrebuildsMessaging.Core.Database.Migrations;

/// <param name="WithDevSchema">Also create Coder's tables from sql/schema/ (development, demo, tests; never production).</param>
/// <param name="WithRecommendedIndex">Also build the opt-in partial index on template_version_presets (an operator's decision).</param>
public sealed record MigrationRequest(bool WithDevSchema = false, bool WithRecommendedIndex = false);
