using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Core.Ensure;

/// <summary>
/// What a batch ensure did: the contract's entry for every command whose organization did not fail, and the
/// organizations that failed on their own.
/// </summary>
/// <param name="SetWise">False when the batch's statement failed and its organizations were written one at a time.</param>
/// <param name="PausedByCoder">What the batch last read of Coder's pause (null with Prebuilds:IgnoreCoderPause): true when it held writes back.</param>
public sealed record EnsureResult(IReadOnlyList<OrgPrebuildSetupEnsured> Organizations, IReadOnlyList<OrganizationFailure> Failures, bool SetWise, bool? PausedByCoder);

/// <summary>One organization whose setup failed for a reason of its own; the others of its batch are not affected.</summary>
public sealed record OrganizationFailure(Guid OrganizationId, Exception Error);
