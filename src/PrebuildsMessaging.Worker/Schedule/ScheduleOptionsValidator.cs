using Microsoft.Extensions.Options;
using Quartz;

namespace PrebuildsMessaging.Worker.Schedule;

internal sealed class ScheduleOptionsValidator : IValidateOptions<ScheduleOptions>
{
    public ValidateOptionsResult Validate(string? name, ScheduleOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.Cron) && !CronExpression.TryParse(options.Cron, out _))
        {
            failures.Add($"{ScheduleOptions.SectionName}:Cron is not a valid Quartz cron expression (seconds first, e.g. '0 */5 * * * ?').");
        }

        if (string.IsNullOrWhiteSpace(options.Cron) && options.Interval < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{ScheduleOptions.SectionName}:Interval must be at least 00:00:01.");
        }

        if (!Enum.IsDefined(options.Store))
        {
            failures.Add($"{ScheduleOptions.SectionName}:Store must be Postgres or InMemory.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
