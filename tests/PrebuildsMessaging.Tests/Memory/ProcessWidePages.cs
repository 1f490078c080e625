namespace PrebuildsMessaging.Tests.Memory;

/// <summary>
/// Tests that release this test process's own file pages: they run alone, after the parallel ones, so that no other
/// test reads its code back from disk while it waits on a timer.
/// </summary>
[CollectionDefinition(nameof(ProcessWidePages), DisableParallelization = true)]
public sealed class ProcessWidePages;
