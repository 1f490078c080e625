using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database;
using PrebuildsMessaging.Core.Reconciliation;
using PrebuildsMessaging.Worker.Observability;

namespace PrebuildsMessaging.Cli;

/// <summary>
/// <c>status [--org ID]... [--json]</c>: one status query, one row per organization with prebuild presets,
/// and a total; a hint on standard error when the recommended index is missing. Exit code 0 when everything has
/// converged, 1 when something is missing, 3 while Coder's administrators have paused prebuilds reconciliation.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var orgs = OrganizationOption.Create("Only these organizations (repeatable); default: every organization.");
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var command = new Command("status", "Show, per organization with prebuild presets, whether the prebuilds user, group and group membership exist. Exit code 0 when all have converged, 1 otherwise, 3 while Coder has paused prebuilds reconciliation.")
        {
            orgs,
            json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async (host, token) =>
        {
            var ids = parse.GetValue(orgs) ?? [];
            var scope = ids.Length == 0 ? ReconciliationScope.All : ReconciliationScope.For(ids);
            var report = await host.Services.GetRequiredService<StatusQuery>().ReadAsync(scope, token).ConfigureAwait(false);
            var statuses = report.Organizations;
            var summary = StatusSummary.Of(statuses);
            var pause = PauseView.Of(report.PausedByCoder, host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PrebuildsOptions>>().Value.IgnoreCoderPause);
            var index = await host.Services.GetRequiredService<RecommendedIndex>().ReadStateAsync(token).ConfigureAwait(false);
            var feed = await ChangeFeedView.ReadAsync(host.Services, token).ConfigureAwait(false);
            Console.Write(parse.GetValue(json) ? AsJson(statuses, summary, index, feed, pause) : AsTable(statuses, summary, pause));
            foreach (var line in feed.Lines())
            {
                await Console.Error.WriteLineAsync(line).ConfigureAwait(false);
            }

            if (index != RecommendedIndexState.Present)
            {
                await Console.Error.WriteLineAsync(
                    $"hint: the recommended index {RecommendedIndex.Name} is {(index == RecommendedIndexState.Absent ? "missing" : "invalid")}: {RecommendedIndex.CostWithout}. " +
                    $"Create it, as the owner of template_version_presets, with: {RecommendedIndexMonitor.CreateCommand}").ConfigureAwait(false);
            }

            if (pause.HoldsBack)
            {
                return ExitCodes.PausedByCoder;
            }

            return summary.Converged == summary.Organizations ? ExitCodes.Success : ExitCodes.Failure;
        }, ct));
        return command;
    }

    private static string AsTable(IReadOnlyList<EnsureOrgPrebuildSetup> statuses, StatusSummary summary, PauseView pause)
    {
        var nameWidth = Math.Max(12, statuses.Select(s => s.OrganizationName.Length).DefaultIfEmpty(0).Max());
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"{"ORGANIZATION".PadRight(nameWidth)}  {"ID",-36}  {"MEMBER",-6}  {"GROUP",-36}  IN GROUP"),
        };
        lines.AddRange(statuses.Select(s => string.Create(CultureInfo.InvariantCulture,
            $"{s.OrganizationName.PadRight(nameWidth)}  {s.OrganizationId,-36}  {(s.HasPrebuildUser ? "yes" : "no"),-6}  {(s.PrebuildsGroupId?.ToString() ?? "missing"),-36}  {(s.HasPrebuildUserInGroup ? "yes" : "no")}")));
        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"total: {summary.Organizations} organizations, {summary.Converged} converged, {summary.MissingPieces} missing pieces"));
        if (pause.Line is { } line)
        {
            lines.Add(line);
        }

        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }

    private static string AsJson(IReadOnlyList<EnsureOrgPrebuildSetup> statuses, StatusSummary summary, RecommendedIndexState index, ChangeFeedView feed, PauseView pause) =>
        JsonSerializer.Serialize(new
        {
            organizations = statuses.Select(s => new
            {
                id = s.OrganizationId,
                name = s.OrganizationName,
                member = s.HasPrebuildUser,
                groupId = s.PrebuildsGroupId,
                inGroup = s.HasPrebuildUserInGroup,
                converged = StatusQuery.IsConverged(s),
            }),
            total = new { organizations = summary.Organizations, converged = summary.Converged, missingPieces = summary.MissingPieces },
            pausedByCoder = pause.Paused,
            pauseIgnored = pause.Paused && !pause.HoldsBack,
            recommendedIndex = index.ToString().ToLowerInvariant(),
            changeFeed = new
            {
                publication = feed.Publication,
                replicas = feed.Replicas.Select(r => new { name = r.Name, state = r.State, since = r.Since }),
                lagBytes = feed.LagBytes,
            },
        }, JsonOptions) + Environment.NewLine;

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}
