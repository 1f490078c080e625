using Microsoft.Extensions.Options;

namespace PrebuildsMessaging.Core.Configuration;

internal sealed class PrebuildsOptionsValidator : IValidateOptions<PrebuildsOptions>
{
    public ValidateOptionsResult Validate(string? name, PrebuildsOptions options)
    {
        var failures = new List<string>();
        if (options.UserId == Guid.Empty)
        {
            failures.Add($"{PrebuildsOptions.SectionName}:UserId must be the prebuilds system user's id, not the empty GUID (Coder's is {PrebuildsOptions.CoderPrebuildsUserId}).");
        }

        if (string.IsNullOrWhiteSpace(options.GroupName))
        {
            failures.Add($"{PrebuildsOptions.SectionName}:GroupName must not be empty (Coder's is '{PrebuildsOptions.CoderPrebuildsGroupName}').");
        }
        else if (options.GroupName.Trim() != options.GroupName || options.GroupName.Length > 255)
        {
            failures.Add($"{PrebuildsOptions.SectionName}:GroupName must have no leading or trailing white space and at most 255 characters.");
        }

        if (string.IsNullOrWhiteSpace(options.GroupDisplayName))
        {
            failures.Add($"{PrebuildsOptions.SectionName}:GroupDisplayName must not be empty.");
        }

        if (options.PauseCheckInterval <= TimeSpan.Zero)
        {
            failures.Add($"{PrebuildsOptions.SectionName}:PauseCheckInterval must be more than 0.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
