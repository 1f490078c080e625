using System.Globalization;
using Npgsql;
using PrebuildsMessaging.ErrorQueues;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Benchmarks.ImageProfile;

/// <summary>
/// Records which ahead-of-time code a cold worker runs, and writes it as the profile crossgen2 lays the composite image
/// out by (src/PrebuildsMessaging/PrebuildsMessaging.mibc). A worker published as it ships starts with an EventPipe
/// trace of its first calls; one <c>PrebuildsMessaging reconcile</c> converges N unconfigured organizations; the worker
/// stops. A method first called during that pass gets weight <see cref="PassWeight"/>, one first called at start-up or
/// shutdown weight 1, and one never called none: the image then holds the pass's code first, start-up's next, the rest
/// after. A worker that has released its start-up pages reads back only a few contiguous megabytes of code for a pass.
/// </summary>
internal static class ImageProfileRecording
{
    public const int PassWeight = 1000;

    public static async Task RunAsync(EndToEndSettings settings, string output)
    {
        var database = settings.Database + "_profile";
        var connectionString = await ColdRounds.CreateDatabaseAsync(settings.AdminConnectionString, database, settings.Organizations);
        var trace = Path.Combine(Path.GetTempPath(), $"prebuilds-image-profile-{Guid.NewGuid():N}.nettrace");
        var vhost = $"prebuilds-profile-{Guid.NewGuid():N}";
        using var management = new RabbitMqManagementClient(RabbitMqConnection.Parse(settings.RabbitMqUri), settings.ManagementUrl);
        await management.CreateVirtualHostAsync(vhost, CancellationToken.None);
        DateTime passFrom, passTo;
        try
        {
            var amqpUri = new UriBuilder(settings.RabbitMqUri) { Path = "/" + vhost }.Uri.ToString();
            var worker = await BenchmarkWorker.StartAsync(settings.App, connectionString, amqpUri, Path.Combine(Path.GetTempPath(), "prebuilds-image-profile-worker.log"),
                new Dictionary<string, string>(ColdRounds.RoundSettings) // the operator's pass alone, as in a cold round
                {
                    ["DOTNET_EnableEventPipe"] = "1",
                    ["DOTNET_EventPipeOutputPath"] = trace,
                    ["DOTNET_EventPipeConfig"] = TraceReader.Providers,
                    ["DOTNET_EventPipeRundown"] = "0",
                });
            await using (worker)
            {
                Console.WriteLine($"Recording a cold worker's first calls: one reconcile over {settings.Organizations:N0} organizations");
                passFrom = DateTime.UtcNow;
                await BenchmarkWorker.ReconcileAsync(settings.App, connectionString, amqpUri);
                await using var dataSource = NpgsqlDataSource.Create(connectionString);
                await ColdRounds.WaitForGroupMembersAsync(dataSource, settings.Organizations, settings.Timeout, $"{settings.Organizations:N0}, traced worker");
                passTo = DateTime.UtcNow;
            } // stopped: the trace is complete
        }
        finally
        {
            await management.DeleteVirtualHostAsync(vhost, CancellationToken.None);
            await using var admin = NpgsqlDataSource.Create(settings.AdminConnectionString);
            await ColdRounds.DropDatabaseAsync(admin, database);
        }

        var read = TraceReader.Read(trace);
        File.Delete(trace);
        using var resolver = new TracedMethodResolver(read, settings.App);
        var profile = new List<(System.Reflection.MethodBase Method, int Weight)>();
        var unresolved = 0;
        foreach (var (method, at) in read.FirstCalls)
        {
            if (resolver.Resolve(method) is { } resolved)
            {
                profile.Add((resolved, at >= passFrom && at <= passTo ? PassWeight : 1));
            }
            else
            {
                unresolved++;
            }
        }

        var skipped = MibcWriter.Write(output, profile);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{read.FirstCalls.Count:N0} methods' ahead-of-time code called: {profile.Count(p => p.Weight == PassWeight):N0} first in the pass, {profile.Count(p => p.Weight != PassWeight):N0} at start-up or shutdown; " +
            $"{unresolved:N0} not in the app's assemblies, {skipped:N0} not nameable (function pointers); written to {output}"));
    }
}
