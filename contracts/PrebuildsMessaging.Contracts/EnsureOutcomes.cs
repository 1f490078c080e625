namespace PrebuildsMessaging.Contracts;

/// <summary>The values of <see cref="OrgPrebuildSetupEnsured.Outcome"/>.</summary>
public static class EnsureOutcomes
{
    /// <summary>The membership, the group and the group membership exist now.</summary>
    public const string Ensured = "ensured";

    /// <summary>The organization was deleted before its setup was written; nothing to do.</summary>
    public const string OrganizationGone = "organization-gone";

    /// <summary>
    /// The organization can no longer use the setup when the command is handled: it was deleted, or every one of its
    /// templates was (as Coder requires before an organization is deleted). Nothing was written.
    /// </summary>
    public const string NotNeeded = "not-needed";

    /// <summary>The command named another user or group than the service is configured for (an old command replayed after a configuration change); a fresh reconciliation of the organization was requested instead.</summary>
    public const string Superseded = "superseded";

    /// <summary>Coder's administrators have paused prebuilds reconciliation: nothing was written. The reconciliation that follows the resume does the work.</summary>
    public const string Paused = "paused";
}
