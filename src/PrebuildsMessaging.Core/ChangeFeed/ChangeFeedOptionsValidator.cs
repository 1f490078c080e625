using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace PrebuildsMessaging.Core.ChangeFeed;

internal sealed partial class ChangeFeedOptionsValidator : IValidateOptions<ChangeFeedOptions>
{
    public ValidateOptionsResult Validate(string? name, ChangeFeedOptions options)
    {
        var failures = new List<string>();
        if (!SlotName().IsMatch(options.SlotName ?? ""))
        {
            failures.Add($"{ChangeFeedOptions.SectionName}:SlotName must be 1 to 63 lower-case letters, digits or underscores (a PostgreSQL replication slot name).");
        }

        if (options.RetryInterval <= TimeSpan.Zero || options.LagCheckInterval <= TimeSpan.Zero)
        {
            failures.Add($"{ChangeFeedOptions.SectionName}:RetryInterval and {ChangeFeedOptions.SectionName}:LagCheckInterval must be more than 0.");
        }

        if (options.UnavailableWarningAfter <= TimeSpan.Zero)
        {
            failures.Add($"{ChangeFeedOptions.SectionName}:UnavailableWarningAfter must be more than 0.");
        }

        if (options.LagWarningBytes < 0)
        {
            failures.Add($"{ChangeFeedOptions.SectionName}:LagWarningBytes must be 0 or more.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9_]{1,63}$")]
    private static partial Regex SlotName();
}
