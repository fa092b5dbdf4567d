using LiveExchange.Tests.Infrastructure;

namespace LiveExchange.Tests.Hardening;

/// <summary>Fair-use settings are checked when the hub starts, not discovered at the first join.</summary>
public sealed class JoinSettingsTests
{
    [Theory]
    [InlineData("Joining:ParticipantsPerAddress", "0")]
    [InlineData("Joining:ParticipantsPerAddress", "-5")]
    [InlineData("Joining:PerMinutePerAddress", "0")]
    public void A_limit_below_one_stops_the_hub_at_start_naming_the_setting(string setting, string value)
    {
        var file = TestServers.NewSqliteFile();
        try
        {
            var failure = Assert.ThrowsAny<Exception>(() =>
            {
                using var app = new ExchangeApp(new() { ["ConnectionStrings:Sqlite"] = $"Data Source={file}", [setting] = value });
            });
            Assert.Contains($"{setting} must be at least 1", failure.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestServers.DeleteSqliteFile(file);
        }
    }
}
