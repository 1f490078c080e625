namespace PrebuildsMessaging.Core.Ensure;

/// <summary>
/// The prebuilds group was reported to exist (a unique violation, or the status query) but was gone
/// when the group membership was written: someone deleted it meanwhile. Transient: a retry, or the
/// next pass, recreates it.
/// </summary>
public sealed class PrebuildsGroupVanishedException : Exception
{
    public PrebuildsGroupVanishedException(Guid organizationId, string groupName, Exception? innerException = null)
        : base($"The prebuilds group '{groupName}' of organization {organizationId} disappeared while its membership was being written; a retry recreates it.", innerException)
    {
    }

    public PrebuildsGroupVanishedException()
    {
    }

    public PrebuildsGroupVanishedException(string message)
        : base(message)
    {
    }

    public PrebuildsGroupVanishedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
