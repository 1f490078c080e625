namespace PrebuildsMessaging.Core.Configuration;

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

    /// <summary>
    /// Keep writing the membership while Coder's administrators have paused prebuilds reconciliation
    /// (<c>coder prebuilds pause</c>). Off by default: the service honours Coder's pause, as Coder's own loop does.
    /// </summary>
    public bool IgnoreCoderPause { get; set; }

    /// <summary>While Coder's pause is on, how often a worker looks whether it was lifted.</summary>
    public TimeSpan PauseCheckInterval { get; set; } = TimeSpan.FromSeconds(1);
}
