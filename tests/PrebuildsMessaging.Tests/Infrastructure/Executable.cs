using System.Diagnostics;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// The executable the process tests start: the build output (<c>dotnet PrebuildsMessaging.dll</c>), or, when
/// PREBUILDS_TEST_PUBLISHED_APP names a published folder, that folder's own executable, as the image runs it
/// (self-contained, trimmed, composite ReadyToRun).
/// </summary>
public static class Executable
{
    public const string PublishedAppVariable = "PREBUILDS_TEST_PUBLISHED_APP";

    /// <summary>The executable with its arguments, its output and error redirected for the test to read.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var info = Command(args);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        return info;
    }

    private static ProcessStartInfo Command(string[] args)
    {
        var published = Environment.GetEnvironmentVariable(PublishedAppVariable);
        if (string.IsNullOrEmpty(published))
        {
            return new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "PrebuildsMessaging.dll"), .. args]);
        }

        var path = Path.Combine(published, "PrebuildsMessaging");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{PublishedAppVariable}={published} holds no PrebuildsMessaging executable.");
        }

        return new ProcessStartInfo(path, args);
    }
}
