using Npgsql;

namespace LiveExchange.Tests.Infrastructure;

/// <summary>
/// The real servers the tests run against, started by scripts/test.sh and named in environment
/// variables. Without them a test fails with a message saying how to run it, never skips.
/// </summary>
public static class TestServers
{
    public static string Postgres => Require("LIVEEXCHANGE_TEST_POSTGRES");

    public static string Redis => Require("LIVEEXCHANGE_TEST_REDIS");

    /// <summary>A fresh, empty database on the test server, so each fixture starts clean.</summary>
    public static async Task<string> CreatePostgresDatabaseAsync()
    {
        var name = "lx_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name }.ToString();
    }

    /// <summary>
    /// Settings for a hub on a fresh PostgreSQL database and the test Redis, under a channel prefix of
    /// its own (fixtures share one Redis, and every fresh database numbers its sessions from 1).
    /// </summary>
    public static async Task<Dictionary<string, string>> FreshHubSettingsAsync(bool organiserKey = true)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = await CreatePostgresDatabaseAsync(),
            ["ConnectionStrings:Redis"] = Redis,
            ["Realtime:ChannelPrefix"] = "test-" + Guid.NewGuid().ToString("N"),
        };
        if (organiserKey)
        {
            settings["Organiser:Key"] = ExchangeApp.OrganiserKey;
        }

        return settings;
    }

    public static void DeleteSqliteFile(string file)
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(file + suffix);
        }
    }

    public static string NewSqliteFile() => Path.Combine(Path.GetTempPath(), $"lx-test-{Guid.NewGuid():N}.db");

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LiveExchange.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("LiveExchange.sln not found above the test output.");
        }
    }

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with scripts/test.sh, which starts PostgreSQL and Redis.");
}
