using PrebuildsMessaging.Benchmarks;

// Benchmark of the status query on a large Coder-shaped database. Prints figures; asserts nothing.
//   dotnet run -c Release --project tests/PrebuildsMessaging.Benchmarks -- --connection "Host=...;Username=postgres;Database=postgres"
var settings = BenchmarkSettings.Parse(args);
var connectionString = await LargeDatasetSeeder.EnsureAsync(settings);
await StatusQueryBenchmark.RunAsync(settings, connectionString);
