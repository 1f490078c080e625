using PrebuildsMessaging.Benchmarks;

// Benchmarks on the real thing. Each prints figures; none asserts anything.
//   status query on a large Coder-shaped database:
//     dotnet run -c Release --project tests/PrebuildsMessaging.Benchmarks -- --connection "Host=...;Username=postgres;Database=postgres"
//   end to end, the worker against Coder's sequential loop (tests/PrebuildsMessaging.Benchmarks/e2e.sh starts what it needs):
//     dotnet run -c Release --project tests/PrebuildsMessaging.Benchmarks -- e2e --connection CS --rabbitmq URI --management URL [--organizations 10000]
//   the latency of one change through the change feed (e2e.sh feed-latency starts a server with logical WAL):
//     dotnet run -c Release --project tests/PrebuildsMessaging.Benchmarks -- feed-latency --connection CS --rabbitmq URI [--changes 200]
if (args.Length > 0 && args[0] == "feed-latency")
{
    await FeedLatencyBenchmark.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "e2e")
{
    await EndToEndBenchmark.RunAsync(EndToEndSettings.Parse(args[1..]));
    return;
}

var settings = BenchmarkSettings.Parse(args);
var connectionString = await LargeDatasetSeeder.EnsureAsync(settings);
await StatusQueryBenchmark.RunAsync(settings, connectionString);
