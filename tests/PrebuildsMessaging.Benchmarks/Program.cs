using PrebuildsMessaging.Benchmarks;

// Benchmarks on the real thing. Each prints figures; none asserts anything.
//   status query on a large Coder-shaped database:
//     dotnet run -c Release --project tests/PrebuildsMessaging.Benchmarks -- --connection "Host=...;Username=postgres;Database=postgres"
//   end to end, the worker against Coder's loop, its latency through the change feed and its idle cost
//   (tests/PrebuildsMessaging.Benchmarks/e2e.sh starts what it needs, with logical WAL):
//     dotnet run -c Release --project tests/PrebuildsMessaging.Benchmarks -- e2e --connection CS --rabbitmq URI --management URL [--organizations 10000] ...
//   the profile crossgen2 lays the composite image out by (tests/PrebuildsMessaging.Benchmarks/e2e.sh image-profile starts what it needs):
//     image-profile --connection CS --rabbitmq URI --management URL --app DIR --out src/PrebuildsMessaging/PrebuildsMessaging.mibc [--organizations 10000]
//   the fault soak (tests/PrebuildsMessaging.Benchmarks/soak.sh starts PostgreSQL and a 3-node RabbitMQ cluster):
//     soak --connection CS --amqp-ports P1,P2,P3 --management-ports M1,M2,M3 --app DIR ... [--seed N] [--minutes 20]; exit 1 when a check fails
if (args.Length > 0 && args[0] == "soak")
{
    return await PrebuildsMessaging.Benchmarks.Soak.SoakRun.RunAsync(PrebuildsMessaging.Benchmarks.Soak.SoakSettings.Parse(args[1..]));
}

if (args.Length > 0 && args[0] == "image-profile")
{
    var last = Array.LastIndexOf(args, "--out"); // the last one given: e2e.sh image-profile puts its default first
    var output = last >= 0 && last + 1 < args.Length ? args[last + 1] : throw new ArgumentException("image-profile needs --out FILE.mibc");
    await PrebuildsMessaging.Benchmarks.ImageProfile.ImageProfileRecording.RunAsync(EndToEndSettings.Parse(args[1..]), output);
    return 0;
}

if (args.Length > 0 && args[0] == "e2e")
{
    await EndToEndBenchmark.RunAsync(EndToEndSettings.Parse(args[1..]));
    return 0;
}

var settings = BenchmarkSettings.Parse(args);
var connectionString = await LargeDatasetSeeder.EnsureAsync(settings);
await StatusQueryBenchmark.RunAsync(settings, connectionString);
return 0;
