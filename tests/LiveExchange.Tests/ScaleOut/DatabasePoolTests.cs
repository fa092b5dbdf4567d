using LiveExchange.Bench;
using LiveExchange.Tests.Infrastructure;
using Npgsql;

namespace LiveExchange.Tests.ScaleOut;

/// <summary>
/// What a hub asks of PostgreSQL under a burst: Npgsql's own default would let each instance open 100
/// connections, and two instances then exceed PostgreSQL's default max_connections (100).
/// </summary>
public sealed class DatabasePoolTests
{
    [Fact]
    public async Task A_burst_of_300_joins_is_served_in_full_through_at_most_twenty_database_connections()
    {
        var (settings, hub) = await StartHubAsync("pool");
        await using var _ = hub;
        var api = new Api(hub.BaseAddress);
        var (session, invited) = await api.ScheduleAsync();

        var joined = await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            api.JoinAsync(session.Code, invited[i % invited.Length].Id, $"分会场 {i}", 1 + (i % 3))));

        Assert.Equal(300, joined.Select(j => j.ParticipantToken).Distinct().Count());
        await using var db = new NpgsqlConnection(settings["ConnectionStrings:Postgres"]);
        await db.OpenAsync();
        await using var count = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()", db);
        // The pool keeps what it opened for minutes, so the hub's connections now are its peak.
        var connections = (long)(await count.ExecuteScalarAsync())!;
        Assert.InRange(connections, 1, LiveExchange.Hub.Storage.StorageExtensions.DefaultMaxPoolSize);
        await using var rows = new NpgsqlCommand("select count(*) from participants where session_id = @s and role = 'viewer'", db);
        rows.Parameters.AddWithValue("s", session.Id);
        Assert.Equal(300L, (long)(await rows.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_pool_size_in_the_connection_string_is_kept()
    {
        var (settings, hub) = await StartHubAsync("pool3", ";MaxPoolSize=3");
        await using var _ = hub;
        var api = new Api(hub.BaseAddress);
        var (session, invited) = await api.ScheduleAsync();

        var joined = await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            api.JoinAsync(session.Code, invited[i % invited.Length].Id, $"分会场 {i}")));

        Assert.Equal(60, joined.Select(j => j.ParticipantToken).Distinct().Count());
        await using var db = new NpgsqlConnection(settings["ConnectionStrings:Postgres"].Replace(";MaxPoolSize=3", "", StringComparison.Ordinal));
        await db.OpenAsync();
        await using var count = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()", db);
        Assert.InRange((long)(await count.ExecuteScalarAsync())!, 1, 3);
    }

    private static async Task<(Dictionary<string, string> Settings, HubProcess Hub)> StartHubAsync(string name, string connectionOptions = "")
    {
        var settings = await TestServers.FreshHubSettingsAsync();
        settings["ConnectionStrings:Postgres"] += connectionOptions;
        // Every join here comes from loopback: the per-address fair-use limits would refuse most of them.
        settings["Joining:PerMinutePerAddress"] = "100000";
        settings["Joining:ParticipantsPerAddress"] = "100000";
        return (settings, await HubProcess.StartAsync(name, settings));
    }
}
