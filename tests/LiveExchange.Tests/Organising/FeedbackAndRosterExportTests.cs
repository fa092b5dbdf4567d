using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using LiveExchange.Hub.Exports;
using LiveExchange.Hub.Invitations;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;

namespace LiveExchange.Tests.Organising;

/// <summary>
/// The feedback and roster exports and the sessions report's feedback figures, read back from the
/// files, agreeing with what the organiser page reads (results, roster). Both databases.
/// </summary>
public abstract class FeedbackAndRosterExportTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    [Fact]
    public async Task Feedback_and_absentees_export_with_the_pages_figures_and_no_formulas()
    {
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(30);
        var title = $"反馈导出 {Guid.NewGuid():N}"[..12];
        var (session, invited) = await _api.ScheduleAsync(title, startsAt, startsAt.AddHours(2));
        using var organiser = _api.Organiser();
        using var anyone = _api.Client();

        // invited[1] registers but never comes; invited[2] neither registers nor comes.
        var invitations = (await organiser.GetFromJsonAsync<SessionInvitations>($"/api/sessions/{session.Id}/invitations", Api.Json))!;
        string Token(long agencyId) => Uri.UnescapeDataString(System.Web.HttpUtility.ParseQueryString(
            new Uri(invitations.Invitations.Single(i => i.Agency.Id == agencyId).Link).Query)["invite"]!);
        (await anyone.PutAsJsonAsync($"/api/invitations/{Token(invited[1].Id)}/registration",
            new { contactName = "赵敏", contactPhone = "0319-111 2222", expectedHeadcount = 6, screens = 1 })).EnsureSuccessStatusCode();

        var room = await _api.JoinAsync(session.Code, invited[0].Id, "会议室大屏", headcount: 8);
        var phone = await _api.JoinAsync(session.Code, invited[0].Id, "@王芳", headcount: 1);
        await using (await LiveClient.ConnectAsync(_api.BaseAddress, room.ParticipantToken))
        await using (await LiveClient.ConnectAsync(_api.BaseAddress, phone.ParticipantToken))
        {
            (await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).EnsureSuccessStatusCode();
        }

        async Task AnswerAsync(string token, int overall, int useful, string apply, int speaksFor)
        {
            using var http = _api.Client(token);
            var response = await http.PostAsJsonAsync($"/api/sessions/{session.Id}/feedback/response", new
            {
                speaksFor,
                answers = new object[]
                {
                    new { question = 1, rating = overall }, new { question = 2, rating = useful }, new { question = 3, text = apply },
                },
            });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        await AnswerAsync(room.ParticipantToken, 5, 4, "网格员与社工结对", 8);
        await AnswerAsync(phone.ParticipantToken, 3, 4, "=HYPERLINK(\"http://example.invalid\")", 1);

        // The workbook: one row per response, a column per question; the summary as the page's results.
        var book = Spreadsheets.Open(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/feedback.xlsx?lang=zh"));
        var responses = Spreadsheets.Rows(book, "反馈明细");
        var header = Array.FindIndex(responses, r => r.FirstOrDefault() == "机构");
        Assert.Equal(["机构", "城市", "显示名称", "代表人数", "提交时间", "最后修改", "1. 总体而言，您对本场交流的评价是？"], responses[header][..7]);
        Assert.Equal(4 + 6, responses[header].Length);
        Assert.Equal(["会议室大屏", "8", "5", "4", "网格员与社工结对", ""], Pick(responses[header + 1], 2, 3, 6, 7, 8, 9));
        Assert.Equal(["@王芳", "1", "3", "4", "=HYPERLINK(\"http://example.invalid\")"], Pick(responses[header + 2], 2, 3, 6, 7, 8));
        Assert.False(Spreadsheets.HasFormula(book, "反馈明细"));

        var results = (await organiser.GetFromJsonAsync<Hub.Feedback.FeedbackResults>($"/api/sessions/{session.Id}/feedback/results", Api.Json))!;
        var summary = Spreadsheets.Rows(book, "反馈汇总");
        Assert.Equal([results.Responses.ToString(CultureInfo.InvariantCulture), results.People.ToString(CultureInfo.InvariantCulture)],
            summary.Single(r => r.Length > 1 && r[1] == "全部反馈")[3..5]);
        Assert.Equal(["2", "9"], summary.Single(r => r.Length > 1 && r[1] == "全部反馈")[3..5]);
        var overall = summary.Single(r => r[0] == "1" && r[1] != "");
        Assert.Equal(results.Questions[0].Average!.Value, double.Parse(overall[5], CultureInfo.InvariantCulture));
        Assert.Equal(4.0, double.Parse(overall[5], CultureInfo.InvariantCulture));
        Assert.Equal(4.78, double.Parse(overall[6], CultureInfo.InvariantCulture)); // (5×8 + 3×1) ÷ 9
        var fives = summary.Single(r => r[0] == "1" && r[2] == "5");
        Assert.Equal(["1", "8"], fives[3..5]);

        // The CSV defuses the formula-looking answer and the display name starting with @.
        var csv = Encoding.UTF8.GetString(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/feedback/responses.csv?lang=en"));
        Assert.StartsWith("\uFEFFSession,", csv);
        Assert.Contains("'@王芳", csv);
        Assert.Contains("\"'=HYPERLINK(\"\"http://example.invalid\"\")\"", csv);
        Assert.Contains("Agency,City,Display name,Speaks for,Submitted at,Last changed,\"1. Overall, how would you rate this session?\"", csv);

        // The absentees: the two agencies that never came, the one that registered saying so.
        var absentees = Encoding.UTF8.GetString(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/roster/absentees.csv?lang=zh"))
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("机构,城市,省份,是否报名,联系人,联系电话,预计人数", absentees[3]);
        Assert.Equal([$"{invited[1].Name},邢台,河北,是,赵敏,0319-111 2222,6", $"{invited[2].Name},邢台,河北,否,,,"], absentees[4..]);
        var roster = Spreadsheets.Rows(Spreadsheets.Open(await organiser.GetByteArrayAsync(
            $"/api/sessions/{session.Id}/exports/roster.xlsx?lang=en")), "Invited agencies");
        var came = roster.Single(r => r.Length > 3 && r[3] == "Attended");
        Assert.Equal([invited[0].Name, "2", "9"], Pick(came, 0, 8, 9));

        // Across sessions: the feedback figures beside attendance.
        var report = (await organiser.GetFromJsonAsync<SessionsReportResult>($"/api/reports/sessions?agencyId={invited[0].Id}", Api.Json))!;
        var figures = report.Sessions.Single(s => s.SessionId == session.Id);
        Assert.Equal((2, 9, 4.0), (figures.FeedbackResponses, figures.FeedbackPeople, figures.OverallRating));
    }

    private static string[] Pick(string[] row, params int[] columns) => columns.Select(i => row[i]).ToArray();
}

public sealed class FeedbackAndRosterExportOnPostgres(PostgresAppFixture fixture) : FeedbackAndRosterExportTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class FeedbackAndRosterExportOnSqlite(SqliteAppFixture fixture) : FeedbackAndRosterExportTests(fixture.App), IClassFixture<SqliteAppFixture>;
