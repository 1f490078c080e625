namespace PrebuildsMessaging.Contracts;

/// <summary>The values of <see cref="TemplateChanged.Change"/>.</summary>
public static class TemplateChanges
{
    public const string Created = "created";
    public const string Updated = "updated";
    public const string Deleted = "deleted";
    public const string ActiveVersionChanged = "active-version-changed";
}
