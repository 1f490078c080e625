using System.Globalization;
using System.Text.RegularExpressions;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Memory;

/// <summary>The executable, started as an operator starts it, releases its start-up pages once it has started, and says how much.</summary>
public sealed partial class StartupPageReleaseProcessTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    [Fact]
    public async Task The_executable_releases_its_start_up_pages_once_started()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?> { ["Memory:ReleaseStartupPages"] = "true" });

        Match released = Match.Empty;
        await Eventually.TrueAsync(() => Task.FromResult((released = ReleasedLine().Match(worker.Output)).Success), () => $"the release is logged:\n{worker.Output}");
        Assert.True(int.Parse(released.Groups["released"].Value, CultureInfo.InvariantCulture) > 0, released.Value);
        Assert.Equal("0", released.Groups["refused"].Value);
        // How much leaves is not asserted: it depends on who else maps the files (a test run's MSBuild nodes and test
        // host map the same framework and assemblies; the kernel keeps pages other processes map). That pages do leave
        // is A_private_file_mapping_s_pages_are_released_and_read_back_unchanged's, and the container lane's on the image.
    }

    [GeneratedRegex(@"Start-up pages released: resident file pages [0-9.]+ MB -> [0-9.]+ MB \((?<released>[0-9]+) mappings, (?<refused>[0-9]+) refused\)")]
    private static partial Regex ReleasedLine();
}
