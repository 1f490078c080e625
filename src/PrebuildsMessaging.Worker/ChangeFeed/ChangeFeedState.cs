namespace PrebuildsMessaging.Worker.ChangeFeed;

/// <summary>What this replica's change feed does: stream, stand by behind the replica that streams, or cannot stream.</summary>
public enum ChangeFeedState
{
    Streaming,
    StandingBy,
    Unavailable,
}

/// <summary>The names the gauge, the logs and <c>status</c> use for the states.</summary>
public static class ChangeFeedStates
{
    public static string Name(ChangeFeedState state) => state switch
    {
        ChangeFeedState.Streaming => "streaming",
        ChangeFeedState.StandingBy => "standing_by",
        _ => "unavailable",
    };
}
