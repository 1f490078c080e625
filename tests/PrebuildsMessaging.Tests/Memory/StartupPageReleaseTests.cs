using System.IO.MemoryMappedFiles;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Memory;

namespace PrebuildsMessaging.Tests.Memory;

/// <summary>
/// Releasing start-up pages (Memory:ReleaseStartupPages), on this test process's real pages (Linux, as the service
/// ships). The kernel releases only pages no other process maps: the test maps a file of its own, as the worker maps
/// its image, rather than count on the framework's files, which the build's MSBuild nodes map too.
/// </summary>
[Collection(nameof(ProcessWidePages))]
public sealed partial class StartupPageReleaseTests
{
    private const int FileBytes = 8 * 1024 * 1024;

    [Fact]
    public void A_private_file_mapping_s_pages_are_released_and_read_back_unchanged()
    {
        var path = Path.Combine(Path.GetTempPath(), $"prebuilds-pages-{Guid.NewGuid():N}.bin");
        var content = new byte[FileBytes];
        new Random(20493).NextBytes(content);
        File.WriteAllBytes(path, content);
        try
        {
            // Copy-on-write: a private mapping (MAP_PRIVATE), as the runtime maps the image.
            using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.CopyOnWrite);
            using var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.CopyOnWrite);
            for (var offset = 0; offset < FileBytes; offset += 4096)
            {
                _ = view.ReadByte(offset); // resident
            }

            var before = ResidentBytesOf(path);

            var (released, refused) = ProcessPages.ReleaseFileMappings();

            var after = ResidentBytesOf(path);
            Assert.True(before >= FileBytes / 2, $"{before} bytes of the file resident after reading it");
            Assert.True(released > 0, "no file mapping was released");
            Assert.Equal(0, refused);
            Assert.True(after * 4 < before, $"the file's resident pages {before} -> {after} bytes");
            // Read back from the file, unchanged.
            var again = new byte[FileBytes];
            view.ReadArray(0, again, 0, FileBytes);
            Assert.Equal(content, again);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task The_scheduler_s_start_releases_once_and_says_so()
    {
        var log = new CapturedLog();
        var release = new StartupPageRelease(Options.Create(new MemoryOptions()), TimeProvider.System, Logger(log));

        await release.SchedulerStarted(null!);
        await release.SchedulerStarted(null!); // a scheduler started again (standby, then start) does not release again

        var line = Assert.Single(log.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Start-up pages released", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_is_released_when_the_setting_is_off()
    {
        var log = new CapturedLog();
        var release = new StartupPageRelease(Options.Create(new MemoryOptions { ReleaseStartupPages = false }), TimeProvider.System, Logger(log));

        await release.SchedulerStarted(null!);

        Assert.Equal("", log.Text);
    }

    /// <summary>The resident bytes of this process's mappings of <paramref name="path"/> (Rss in /proc/self/smaps).</summary>
    private static long ResidentBytesOf(string path)
    {
        long total = 0;
        var inFile = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (MappingHeader().IsMatch(line))
            {
                inFile = line.EndsWith(" " + path, StringComparison.Ordinal);
            }
            else if (inFile && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                total += ProcessPages.BytesOf(line);
            }
        }

        return total;
    }

    [GeneratedRegex("^[0-9a-f]+-[0-9a-f]+ ")]
    private static partial Regex MappingHeader();

    private static ILogger<StartupPageRelease> Logger(CapturedLog log) => LoggerFactory.Create(b => b.AddProvider(log)).CreateLogger<StartupPageRelease>();
}
