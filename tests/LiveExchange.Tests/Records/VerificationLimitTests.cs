using System.Net;
using LiveExchange.Tests.Infrastructure;

namespace LiveExchange.Tests.Records;

/// <summary>
/// The public verification is a lookup anyone may make, so it shares the join-code lookup's fair-use limit
/// per address (5 × Joining:PerMinutePerAddress a minute): codes cannot be tried by the thousand.
/// </summary>
public sealed class VerificationLimitTests
{
    [Fact]
    public async Task Verifying_codes_is_rate_limited_per_address()
    {
        var sqlite = TestServers.NewSqliteFile();
        try
        {
            await using var app = new ExchangeApp(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Sqlite"] = $"Data Source={sqlite}",
                ["Joining:PerMinutePerAddress"] = "1",
            });
            using var anyone = new Api(app.BaseAddress).Client();
            for (var i = 0; i < 5; i++)
            {
                await Api.AssertProblemAsync(await anyone.GetAsync($"/api/certificates/ABCDEFGH{i + 2}K"), HttpStatusCode.NotFound, "certificate_not_found");
            }

            await Api.AssertProblemAsync(await anyone.GetAsync("/api/certificates/ABCDEFGH9K"), HttpStatusCode.TooManyRequests, "rate_limited");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestServers.DeleteSqliteFile(sqlite);
        }
    }
}
