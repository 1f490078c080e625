namespace PrebuildsMessaging.Contracts;

/// <summary>Event: what one batch of <see cref="EnsureOrgPrebuildSetup"/> commands did, one entry per command.</summary>
public sealed record OrgPrebuildSetupsEnsured
{
    public IReadOnlyList<OrgPrebuildSetupEnsured> Organizations { get; init; } = [];
}
