using System.Runtime.ExceptionServices;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Ensure;
using PrebuildsMessaging.Worker.Messaging;
using PrebuildsMessaging.Worker.Observability;
using PrebuildsMessaging.Worker.Pause;
using PrebuildsMessaging.Worker.Reconciliation;

namespace PrebuildsMessaging.Worker.Ensure;

/// <summary>
/// Step 3 of the flow. Hands a batch of commands to the one writer (<see cref="PrebuildSetupWriter"/>), then publishes one
/// OrgPrebuildSetupsEnsured with an entry per command. A duplicate, redelivered or week-old replayed command is
/// safe: rows already there are skipped and counted. A command for another user or group than the one configured
/// (an old message replayed after a configuration change) is not written; its organization is reconciled afresh.
/// An organization that fails on its own (not the database, not the missing user) never fails the others: its
/// command is sent again, alone, and retried and dead-lettered alone. While Coder's administrators have paused
/// prebuilds reconciliation (the writer's statement reads it first), nothing is written: the commands are answered with
/// outcome paused, and the full reconciliation that follows the resume does their work.
/// </summary>
public sealed partial class EnsureOrgPrebuildSetupConsumer(
    PrebuildSetupWriter writer,
    IOptions<PrebuildsOptions> options,
    TimeProvider timeProvider,
    PrebuildsMetrics metrics,
    CoderPauseWatcher pause,
    ILogger<EnsureOrgPrebuildSetupConsumer> logger) : IConsumer<Batch<EnsureOrgPrebuildSetup>>
{
    /// <summary>Marks a command re-sent alone after its organization failed inside a batch.</summary>
    public const string IsolatedHeader = "Prebuilds-Isolated";

    public async Task Consume(ConsumeContext<Batch<EnsureOrgPrebuildSetup>> context)
    {
        var started = timeProvider.GetTimestamp();
        var prebuilds = options.Value;
        var commands = context.Message.Select(m => m.Message).ToList();
        var invalid = commands.Where(c => c.OrganizationId == Guid.Empty).ToList();
        var bySuperseded = commands.Where(c => c.OrganizationId != Guid.Empty).ToLookup(c => IsSuperseded(c, prebuilds));
        var current = bySuperseded[false].ToList();
        var superseded = bySuperseded[true].ToList();
        var entries = new List<OrgPrebuildSetupEnsured>(commands.Count);

        if (superseded.Count > 0)
        {
            LogSuperseded(logger, superseded.Count);
            await context.Publish(ReconciliationRequests.For(superseded.Select(c => c.OrganizationId).Distinct().ToList(), ReconcileSources.Superseded, timeProvider))
                .ConfigureAwait(false);
            entries.AddRange(superseded.Select(c => new OrgPrebuildSetupEnsured { OrganizationId = c.OrganizationId, ReconciliationId = c.ReconciliationId, Outcome = EnsureOutcomes.Superseded }));
        }

        var readAt = timeProvider.GetUtcNow();
        var result = current.Count == 0 ? null : await EnsureAsync(current, context.CancellationToken).ConfigureAwait(false);
        if (result?.PausedByCoder is { } paused)
        {
            await pause.ObserveAsync(paused, readAt, context.CancellationToken).ConfigureAwait(false);
        }

        var failures = invalid.Select(_ => new OrganizationFailure(Guid.Empty, new InvalidMessageException("EnsureOrgPrebuildSetup has no organizationId.")))
            .Concat(result?.Failures ?? []).ToList();
        var failed = failures.Select(f => f.OrganizationId).ToHashSet();
        if (failures.Count > 0)
        {
            if (commands.Count == 1)
            {
                // Alone already: the usual retries (none for bad input), then the _error queue with this command's reason.
                metrics.EnsureFailed(failures[0].Error);
                ExceptionDispatchInfo.Throw(failures[0].Error);
            }

            foreach (var failure in failures)
            {
                metrics.EnsureFailed(failure.Error);
                LogIsolated(logger, failure.OrganizationId, failure.Error);
            }

            var endpoint = await context.GetSendEndpoint(QueueNames.EnsureOrgPrebuildSetupAddress).ConfigureAwait(false);
            foreach (var command in invalid.Concat(current.Where(c => failed.Contains(c.OrganizationId))))
            {
                await endpoint.Send(command, s => s.Headers.Set(IsolatedHeader, "true"), context.CancellationToken).ConfigureAwait(false);
            }
        }

        entries.AddRange(result?.Organizations ?? []);

        await context.Publish(new OrgPrebuildSetupsEnsured { Organizations = entries }).ConfigureAwait(false);

        var summary = new BatchSummary(entries);
        foreach (var entry in entries)
        {
            metrics.Ensured(entry.Outcome, entry.MembershipCreated, entry.GroupCreated, entry.GroupMembershipCreated, entry.UniqueViolationsTolerated);
        }

        var elapsedMs = timeProvider.GetElapsedTime(started).TotalMilliseconds;
        LogBatch(logger, commands.Count, summary.Memberships, summary.Groups, summary.GroupMemberships, summary.AlreadyThere,
            summary.Gone, summary.NotNeeded, superseded.Count, summary.Paused, failures.Count, result?.SetWise ?? true, elapsedMs);
    }

    /// <summary>
    /// A command for another user or group than the one configured is an old message replayed after a
    /// configuration change: it is not written, and its organization is reconciled afresh instead.
    /// </summary>
    public static bool IsSuperseded(EnsureOrgPrebuildSetup command, PrebuildsOptions prebuilds)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(prebuilds);
        return command.UserId != prebuilds.UserId || !string.Equals(command.GroupName, prebuilds.GroupName, StringComparison.Ordinal);
    }

    private async Task<EnsureResult> EnsureAsync(List<EnsureOrgPrebuildSetup> commands, CancellationToken cancellationToken)
    {
        try
        {
            return await writer.EnsureAsync(commands, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            metrics.EnsureFailed(ex);
            throw;
        }
    }

    private readonly record struct BatchSummary(int Memberships, int Groups, int GroupMemberships, int AlreadyThere, int Gone, int NotNeeded, int Paused)
    {
        public BatchSummary(IReadOnlyCollection<OrgPrebuildSetupEnsured> entries)
            : this(entries.Count(e => e.MembershipCreated), entries.Count(e => e.GroupCreated), entries.Count(e => e.GroupMembershipCreated),
                entries.Sum(e => e.UniqueViolationsTolerated), entries.Count(e => e.Outcome == EnsureOutcomes.OrganizationGone),
                entries.Count(e => e.Outcome == EnsureOutcomes.NotNeeded), entries.Count(e => e.Outcome == EnsureOutcomes.Paused))
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ensured a batch of {CommandCount} commands: created {MembershipsCreated} memberships, {GroupsCreated} groups, {GroupMembershipsCreated} group memberships; {RowsAlreadyThere} rows already there; {OrganizationsGone} organizations gone; {NotNeeded} no longer needing it; {Superseded} superseded; {Paused} held back by Coder's pause; {Isolated} sent again alone; set-wise {SetWise}; in {DurationMs:F1} ms")]
    private static partial void LogBatch(ILogger logger, int commandCount, int membershipsCreated, int groupsCreated, int groupMembershipsCreated,
        int rowsAlreadyThere, int organizationsGone, int notNeeded, int superseded, int paused, int isolated, bool setWise, double durationMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Superseded} EnsureOrgPrebuildSetup commands name another prebuilds user or group than configured; requesting a fresh reconciliation of their organizations instead")]
    private static partial void LogSuperseded(ILogger logger, int superseded);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The command for organization {OrganizationId} failed inside a batch; it is sent again alone, to be retried or dead-lettered on its own")]
    private static partial void LogIsolated(ILogger logger, Guid organizationId, Exception exception);
}

/// <summary>
/// EnsureOrgPrebuildSetup is consumed in batches (Bus:EnsureBatchMessageLimit, Bus:EnsureBatchTimeLimit), several
/// at once (Bus:EnsureConcurrency). A command re-sent alone after its organization failed in a batch
/// (header <see cref="EnsureOrgPrebuildSetupConsumer.IsolatedHeader"/>) forms a batch of its own, so that its
/// retries and its error queue entry concern it alone.
/// </summary>
public sealed class EnsureOrgPrebuildSetupConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<EnsureOrgPrebuildSetupConsumer>(options, QueueNames.EnsureOrgPrebuildSetup)
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<EnsureOrgPrebuildSetupConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(consumerConfigurator);
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(Bus.EnsureBatchMessageLimit)
            .SetTimeLimit(Bus.EnsureBatchTimeLimit)
            .SetConcurrencyLimit(Bus.EnsureConcurrency)
            .GroupBy<EnsureOrgPrebuildSetup, Guid>(c =>
                c.Headers.TryGetHeader(EnsureOrgPrebuildSetupConsumer.IsolatedHeader, out _) ? c.MessageId : null));
    }
}
