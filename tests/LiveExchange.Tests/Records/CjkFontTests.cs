using System.Net;
using System.Net.Http.Json;
using LiveExchange.Hub.Records;
using LiveExchange.Tests.Infrastructure;

namespace LiveExchange.Tests.Records;

/// <summary>
/// A server without a Chinese font still runs: the certificate and record PDFs answer 503
/// cjk_font_missing naming the package, and everything else works. A font file set but absent stops start-up.
/// </summary>
public sealed class CjkFontTests
{
    [Fact]
    public async Task Without_a_cjk_font_the_pdfs_answer_503_naming_the_package_and_the_rest_runs()
    {
        var sqlite = TestServers.NewSqliteFile();
        var notAFont = Path.Combine(Path.GetTempPath(), $"lx-not-a-font-{Guid.NewGuid():N}.ttf");
        await File.WriteAllTextAsync(notAFont, "this is not a font");
        try
        {
            await using (var app = new ExchangeApp(new Dictionary<string, string?>
                         {
                             ["ConnectionStrings:Sqlite"] = $"Data Source={sqlite}",
                             ["Documents:FontFile"] = notAFont,
                         }))
            {
                var api = new Api(app.BaseAddress);
                var (session, invited) = await api.ScheduleAsync();
                await api.JoinAsync(session.Code, invited[0].Id, "李华");
                using var organiser = api.Organiser();
                Assert.Equal(HttpStatusCode.OK, (await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).StatusCode);

                var title = await Api.AssertProblemAsync(await organiser.GetAsync($"/api/sessions/{session.Id}/record.pdf?lang=zh"),
                    HttpStatusCode.ServiceUnavailable, "cjk_font_missing");
                Assert.Contains("fonts-wqy-microhei", title);
                // The record itself, the rule and issuing do not need the font.
                Assert.NotNull(await organiser.GetFromJsonAsync<LearningRecord>($"/api/sessions/{session.Id}/record", Api.Json));
                Assert.True((await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/certificates/rule",
                    new { minPercent = 1, feedbackRequired = false, ceHours = 2 })).IsSuccessStatusCode);
                Assert.True((await organiser.PostAsync($"/api/sessions/{session.Id}/certificates/issue", null)).IsSuccessStatusCode);
                await Api.AssertProblemAsync(await organiser.GetAsync($"/api/sessions/{session.Id}/certificates/all.zip"),
                    HttpStatusCode.ServiceUnavailable, "cjk_font_missing");
            }

            var missing = Assert.ThrowsAny<Exception>(() => new ExchangeApp(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Sqlite"] = $"Data Source={sqlite}",
                ["Documents:FontFile"] = "/nonexistent/font.ttc",
            }));
            Assert.Contains("Documents:FontFile", missing.ToString());
        }
        finally
        {
            File.Delete(notAFont);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TestServers.DeleteSqliteFile(sqlite);
        }
    }
}
