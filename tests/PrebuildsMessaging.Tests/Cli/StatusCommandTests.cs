using System.Text.Json;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Cli;

public sealed class StatusCommandTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Status_exits_1_with_the_missing_pieces_and_0_once_converged()
    {
        await using var db = await server.CreateDatabaseAsync();
        var done = await db.Seed.OrganizationWithPrebuildsAsync("initech");
        await db.Seed.MembershipAsync(done, db.PrebuildsUserId);
        await db.Seed.GroupMemberAsync(await db.Seed.GroupAsync(done), db.PrebuildsUserId);
        var missing = await db.Seed.OrganizationWithPrebuildsAsync("acme");
        var env = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString };

        var before = await CliRun.ExecuteAsync(env, "status");

        Assert.Equal(1, before.ExitCode);
        var lines = before.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("acme", StringComparison.Ordinal) && l.Contains(missing.ToString(), StringComparison.Ordinal)
                                    && l.Contains("missing", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("initech", StringComparison.Ordinal) && !l.Contains("missing", StringComparison.Ordinal));
        Assert.Equal("total: 2 organizations, 1 converged, 3 missing pieces", lines[^1].Trim());

        var scoped = await CliRun.ExecuteAsync(env, "status", "--org", done.ToString(), "--json");
        Assert.Equal(0, scoped.ExitCode);
        using (var json = JsonDocument.Parse(scoped.StandardOutput))
        {
            var org = Assert.Single(json.RootElement.GetProperty("organizations").EnumerateArray());
            Assert.Equal(done, org.GetProperty("id").GetGuid());
            Assert.True(org.GetProperty("converged").GetBoolean());
        }

        await db.ReconcileOnceAsync();
        var after = await CliRun.ExecuteAsync(env, "status");

        Assert.Equal(0, after.ExitCode);
        Assert.EndsWith("total: 2 organizations, 2 converged, 0 missing pieces", after.StandardOutput.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_org_id_or_missing_connection_string_exits_2_with_a_reason()
    {
        var badOrg = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = "Host=127.0.0.1" }, "status", "--org", "nope");
        Assert.Equal(2, badOrg.ExitCode);
        Assert.Contains("--org 'nope'", badOrg.StandardError, StringComparison.Ordinal);

        var noDatabase = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = "" }, "status");
        Assert.Equal(2, noDatabase.ExitCode);
        Assert.Contains("ConnectionStrings:Postgres", noDatabase.StandardError, StringComparison.Ordinal);
    }
}
