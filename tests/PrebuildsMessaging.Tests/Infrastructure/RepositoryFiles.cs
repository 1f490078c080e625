namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>Files of the repository the tests run from (scripts, SQL), found above the test's own folder.</summary>
public static class RepositoryFiles
{
    public static string Path(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{string.Join('/', parts)} not found above the test's folder");
    }
}
