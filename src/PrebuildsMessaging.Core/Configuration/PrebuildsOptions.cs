namespace PrebuildsMessaging.Configuration;

/// <summary>Who the prebuilds system user is and what its group is called (section <c>Prebuilds</c>).</summary>
public sealed class PrebuildsOptions
{
    public const string SectionName = "Prebuilds";

    /// <summary>The id of Coder's prebuilds system user, created by Coder's own migrations.</summary>
    public static readonly Guid CoderPrebuildsUserId = new("c42fdf75-3097-471c-8c33-fb52454d81c0");

    /// <summary>Coder's name for the prebuilds group (enterprise/coderd/prebuilds).</summary>
    public const string CoderPrebuildsGroupName = "coderprebuiltworkspaces";

    public Guid UserId { get; set; } = CoderPrebuildsUserId;

    public string GroupName { get; set; } = CoderPrebuildsGroupName;

    public string GroupDisplayName { get; set; } = "Prebuilt Workspaces";
}
