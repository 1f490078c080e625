using System.Diagnostics;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>The benchmark's one wait on a condition: looks every <c>poll</c> (20 ms unless given) until it holds, or throws after the timeout.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? poll = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for: {what}");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(20));
        }
    }
}
