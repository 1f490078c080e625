namespace PrebuildsMessaging.Cli;

/// <summary>What <c>status</c> and <c>reconcile --wait</c> say of Coder's pause of prebuilds reconciliation.</summary>
internal sealed record PauseView(bool Paused, bool HoldsBack)
{
    public static PauseView Of(bool pausedByCoder, bool ignored) => new(pausedByCoder, pausedByCoder && !ignored);

    public static string HeldBack =>
        "paused by Coder: Coder's administrators have paused prebuilds reconciliation (coder prebuilds pause), so nothing is written; " +
        "it catches up by itself when they resume it (coder prebuilds resume)";

    /// <summary>The line for the table, or none when Coder has not paused.</summary>
    public string? Line => !Paused ? null
        : HoldsBack ? HeldBack
        : "paused by Coder, ignored: Prebuilds:IgnoreCoderPause=true, so the service keeps writing the membership";
}
