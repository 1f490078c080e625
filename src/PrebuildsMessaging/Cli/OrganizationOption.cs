using System.CommandLine;

namespace PrebuildsMessaging.Cli;

/// <summary>The repeatable <c>--org ID</c> option shared by status and reconcile; a value that is not a GUID is a usage error.</summary>
internal static class OrganizationOption
{
    public static Option<Guid[]> Create(string description) => new("--org")
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
        CustomParser = result =>
        {
            var ids = new List<Guid>();
            foreach (var token in result.Tokens)
            {
                if (Guid.TryParse(token.Value, out var id) && id != Guid.Empty)
                {
                    ids.Add(id);
                }
                else
                {
                    result.AddError($"--org '{token.Value}' is not an organization id (a non-empty GUID).");
                }
            }

            return [.. ids];
        },
    };
}
