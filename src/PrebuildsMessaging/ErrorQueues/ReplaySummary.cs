namespace PrebuildsMessaging.ErrorQueues;

/// <summary>What a replay did: messages moved back, messages left where they were, and messages that could not be moved.</summary>
public sealed record ReplaySummary(int Moved, int Skipped, int Failed);
