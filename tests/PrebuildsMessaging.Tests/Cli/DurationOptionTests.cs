using PrebuildsMessaging.Cli;

namespace PrebuildsMessaging.Tests.Cli;

/// <summary>The durations the command line reads (e.g. reconcile --timeout). No services needed.</summary>
public sealed class DurationOptionTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("60s", 60_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("5m", 300_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("5M", 300_000)]
    [InlineData("00:01:00", 60_000)]
    public void A_duration_is_read_with_its_unit(string text, int milliseconds)
    {
        Assert.True(DurationOption.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5 minutes")]
    [InlineData("ms")]
    public void Anything_else_is_refused(string text) => Assert.False(DurationOption.TryParse(text, out _));
}
