using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Reconciliation;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// Coder's loop, the anchor of the comparison: one status query, then each missing row as its own autocommit INSERT,
/// on one connection. Driven two ways: by psql, the lightest client, and by C# through Dapper.
/// </summary>
internal static class CoderLoops
{
    /// <summary>psql running sql/benchmarks/CoderLoopPsql.sql; timed from the start of the psql process to its exit.</summary>
    public static async Task<double> PsqlAsync(string psql, string connectionString, PrebuildsOptions prebuilds)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var script = Path.Combine(Path.GetTempPath(), $"prebuilds-coder-loop-{Environment.ProcessId}.sql");
        await File.WriteAllTextAsync(script, BenchmarkSql.Load("CoderLoopPsql"));
        try
        {
            var info = new ProcessStartInfo(psql,
            [
                "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-v", $"user_id={prebuilds.UserId}", "-v", $"group_name={prebuilds.GroupName}", "-v", $"group_display_name={prebuilds.GroupDisplayName}",
                "-h", builder.Host!, "-p", builder.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", builder.Username!, "-d", builder.Database!,
                "-f", script,
            ])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {psql}");
            var errors = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            var seconds = clock.Elapsed.TotalSeconds;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"the psql loop failed: {await errors}");
            }

            return seconds;
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>The same loop in C#, through Dapper, with progress.</summary>
    public static async Task<double> CSharpAsync(NpgsqlDataSource dataSource, PrebuildsOptions prebuilds, int organizations, string what)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync();
        var statuses = (await new StatusQuery(dataSource, Microsoft.Extensions.Options.Options.Create(prebuilds), NullLogger<StatusQuery>.Instance).ReadAsync(ReconciliationScope.All, CancellationToken.None)).Organizations
            .Select(s => (s.OrganizationId, HasUser: s.HasPrebuildUser, GroupId: s.PrebuildsGroupId, InGroup: s.HasPrebuildUserInGroup)).ToList();
        var done = 0;
        foreach (var status in statuses)
        {
            var now = DateTimeOffset.UtcNow;
            if (!status.HasUser)
            {
                await connection.ExecuteAsync(BenchmarkSql.Load("CoderLoopInsertOrganizationMember"), new { status.OrganizationId, prebuilds.UserId, CreatedAt = now, UpdatedAt = now });
            }

            var groupId = status.GroupId;
            if (groupId is null)
            {
                groupId = Guid.NewGuid();
                await connection.ExecuteAsync(BenchmarkSql.Load("CoderLoopInsertGroup"), new { Id = groupId, Name = prebuilds.GroupName, DisplayName = prebuilds.GroupDisplayName, status.OrganizationId });
            }

            if (!status.InGroup)
            {
                await connection.ExecuteAsync(BenchmarkSql.Load("CoderLoopInsertGroupMember"), new { prebuilds.UserId, GroupId = groupId });
            }

            if (++done % Math.Max(1, organizations / 10) == 0)
            {
                Console.WriteLine($"  {what}: {done:N0}/{organizations:N0} organizations converged");
            }
        }

        return clock.Elapsed.TotalSeconds;
    }
}
