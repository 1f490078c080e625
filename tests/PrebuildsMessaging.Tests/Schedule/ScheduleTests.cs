using PrebuildsMessaging.Worker.Schedule;
using Quartz;

namespace PrebuildsMessaging.Tests.Schedule;

/// <summary>The schedule's settings and whether a stored trigger already has them. No database needed.</summary>
public sealed class ScheduleTests
{
    [Theory]
    [InlineData("00:05:00", null, true)]
    [InlineData("00:00:01", null, true)]
    [InlineData("00:00:00.500", null, false)]
    [InlineData("00:00:00", "0 */5 * * * ?", true)] // a cron replaces the interval
    [InlineData("00:05:00", "every five minutes", false)]
    public void The_validator_accepts_an_interval_of_a_second_or_more_or_a_valid_cron(string interval, string? cron, bool valid)
    {
        var result = new ScheduleOptionsValidator().Validate(null, new ScheduleOptions { Interval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture), Cron = cron });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.StartsWith("Schedule:", Assert.Single(result.Failures!), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_unknown_store_is_named() =>
        Assert.Contains("Schedule:Store", Assert.Single(new ScheduleOptionsValidator().Validate(null, new ScheduleOptions { Store = (ScheduleStore)9 }).Failures!), StringComparison.Ordinal);

    [Fact]
    public void A_stored_interval_trigger_matches_the_same_interval_only()
    {
        var stored = TriggerBuilder.Create().WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMinutes(5)).RepeatForever()).Build();

        Assert.True(ReconciliationScheduleTrigger.Matches(stored, new ScheduleOptions { Interval = TimeSpan.FromMinutes(5) }));
        Assert.False(ReconciliationScheduleTrigger.Matches(stored, new ScheduleOptions { Interval = TimeSpan.FromMinutes(10) }));
        Assert.False(ReconciliationScheduleTrigger.Matches(stored, new ScheduleOptions { Interval = TimeSpan.FromMinutes(5), Cron = "0 */5 * * * ?" }));
    }

    [Fact]
    public void A_stored_cron_trigger_matches_the_same_expression_only()
    {
        var stored = TriggerBuilder.Create().WithCronSchedule("0 */5 * * * ?").Build();

        Assert.True(ReconciliationScheduleTrigger.Matches(stored, new ScheduleOptions { Cron = "0 */5 * * * ?" }));
        Assert.False(ReconciliationScheduleTrigger.Matches(stored, new ScheduleOptions { Cron = "0 */10 * * * ?" }));
        Assert.False(ReconciliationScheduleTrigger.Matches(stored, new ScheduleOptions { Interval = TimeSpan.FromMinutes(5) }));
        Assert.False(ReconciliationScheduleTrigger.Matches(null, new ScheduleOptions()));
    }
}
