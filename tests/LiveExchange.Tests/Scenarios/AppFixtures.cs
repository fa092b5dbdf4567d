using LiveExchange.Tests.Infrastructure;

namespace LiveExchange.Tests.Scenarios;

/// <summary>The Hub on PostgreSQL (a fresh database) with the Redis backplane, as deployed.</summary>
public sealed class PostgresAppFixture : IAsyncLifetime
{
    public ExchangeApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = await TestServers.FreshHubSettingsAsync();
        settings["Decks:MaxBytes"] = ExchangeBehaviour.TestDeckLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Decks:MaxExpandedBytes"] = ExchangeBehaviour.TestExpandedLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (key, value) in ExchangeBehaviour.FairUseLimits)
        {
            settings[key] = value;
        }
        App = new ExchangeApp(settings.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>The Hub on a fresh SQLite file with in-process messaging: the embedded default.</summary>
public sealed class SqliteAppFixture : IAsyncLifetime
{
    private readonly string _file = TestServers.NewSqliteFile();

    public ExchangeApp App { get; private set; } = null!;

    public Task InitializeAsync()
    {
        App = new ExchangeApp(new Dictionary<string, string?>(ExchangeBehaviour.FairUseLimits.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value)))
        {
            ["ConnectionStrings:Sqlite"] = $"Data Source={_file}",
            ["Decks:MaxBytes"] = ExchangeBehaviour.TestDeckLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Decks:MaxExpandedBytes"] = ExchangeBehaviour.TestExpandedLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestServers.DeleteSqliteFile(_file);
    }
}

public sealed class OnPostgres(PostgresAppFixture fixture) : ExchangeBehaviour(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class OnSqlite(SqliteAppFixture fixture) : ExchangeBehaviour(fixture.App), IClassFixture<SqliteAppFixture>;
