namespace PrebuildsMessaging.Core.Ensure;

/// <summary>
/// The configured prebuilds user does not exist in the database. Not transient: retrying cannot help
/// until Coder has created the user or Prebuilds:UserId is corrected.
/// </summary>
public sealed class PrebuildsUserMissingException : Exception
{
    public PrebuildsUserMissingException(Guid userId, Exception? innerException = null)
        : base($"The prebuilds user {userId} does not exist in the users table. Check Prebuilds:UserId, or let Coder's migrations create its prebuilds system user.", innerException)
    {
        UserId = userId;
    }

    public PrebuildsUserMissingException()
        : this(Guid.Empty)
    {
    }

    public PrebuildsUserMissingException(string message)
        : base(message)
    {
    }

    public PrebuildsUserMissingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public Guid UserId { get; }
}
