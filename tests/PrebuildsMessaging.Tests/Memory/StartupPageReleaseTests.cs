using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Memory;

namespace PrebuildsMessaging.Tests.Memory;

/// <summary>
/// Once started, the worker hands back the pages that only start-up touched (Memory:ReleaseStartupPages): the kernel
/// drops its resident file pages, which a pass reads back as it needs them. Real pages of real processes: this test
/// process, and the executable (Linux, as the service ships).
/// </summary>
public sealed partial class StartupPageReleaseTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    [Fact]
    public void Paging_out_the_file_mappings_drops_this_process_s_resident_file_pages()
    {
        var before = ProcessPages.ResidentFileBytes();

        var (advised, refused) = ProcessPages.PageOutFileMappings();

        var after = ProcessPages.ResidentFileBytes();
        Assert.True(advised > 0, "no file mapping was advised");
        Assert.Equal(0, refused);
        Assert.True(after < before, $"resident file pages {before} -> {after} bytes");
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
        var before = ProcessPages.ResidentFileBytes();

        await release.SchedulerStarted(null!);

        Assert.Equal("", log.Text);
        Assert.True(ProcessPages.ResidentFileBytes() > before / 2, "the resident file pages were dropped all the same");
    }

    [Fact]
    public async Task The_executable_releases_its_start_up_pages_once_started()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri);

        Match released = Match.Empty;
        await Eventually.TrueAsync(() => Task.FromResult((released = ReleasedLine().Match(worker.Output)).Success), () => $"the release is logged:\n{worker.Output}");
        var before = double.Parse(released.Groups["before"].Value, CultureInfo.InvariantCulture);
        var after = double.Parse(released.Groups["after"].Value, CultureInfo.InvariantCulture);
        Assert.True(after < before, released.Value);
        Assert.True(int.Parse(released.Groups["advised"].Value, CultureInfo.InvariantCulture) > 0, released.Value);
        Assert.Equal("0", released.Groups["refused"].Value);
        // Read from outside the worker: what it holds now is still below what it held before the release.
        var status = await File.ReadAllLinesAsync($"/proc/{worker.ProcessId}/status");
        var now = long.Parse(status.Single(l => l.StartsWith("RssFile:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        Assert.True(now < before, $"RssFile {now:F1} MB now, {before:F1} MB before the release");
    }

    private static ILogger<StartupPageRelease> Logger(CapturedLog log) => LoggerFactory.Create(b => b.AddProvider(log)).CreateLogger<StartupPageRelease>();

    [GeneratedRegex(@"Start-up pages released: resident file pages (?<before>[0-9.]+) MB -> (?<after>[0-9.]+) MB \((?<advised>[0-9]+) mappings, (?<refused>[0-9]+) refused\)")]
    private static partial Regex ReleasedLine();
}
