using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace PrebuildsMessaging.Configuration;

internal sealed partial class ChangeFeedOptionsValidator : IValidateOptions<ChangeFeedOptions>
{
    public ValidateOptionsResult Validate(string? name, ChangeFeedOptions options) =>
        SlotName().IsMatch(options.SlotName ?? "")
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{ChangeFeedOptions.SectionName}:SlotName must be 1 to 63 lower-case letters, digits or underscores (a PostgreSQL replication slot name).");

    [GeneratedRegex("^[a-z0-9_]{1,63}$")]
    private static partial Regex SlotName();
}
