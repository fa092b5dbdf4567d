using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Exports;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;
using Microsoft.Extensions.DependencyInjection;
using Cell = DocumentFormat.OpenXml.Spreadsheet.Cell;
using Sheet = DocumentFormat.OpenXml.Spreadsheet.Sheet;

namespace LiveExchange.Tests.Organising;

/// <summary>
/// The organiser's files, read back as a spreadsheet would read them: CSV (BOM, heading, headers,
/// defused formulas) and XLSX (sheets, typed cells), agreeing with the attendance the page shows;
/// the session report zip; the sessions report across dates, agencies and cities.
/// </summary>
public abstract class ExportTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    [Fact]
    public async Task Attendance_and_questions_export_as_csv_and_xlsx_with_the_pages_figures_and_no_formulas()
    {
        var title = $"苏冀云牵手 {Guid.NewGuid():N}"[..14];
        var (session, invited) = await _api.ScheduleAsync(title);
        var formula = await _api.JoinAsync(session.Code, invited[0].Id, "=1+2", headcount: 3);
        var at = await _api.JoinAsync(session.Code, invited[0].Id, "@SUM(A1)", headcount: 2);
        var minus = await _api.JoinAsync(session.Code, invited[1].Id, "-2");
        // invited[2] never comes: it is listed by agency with zeros.

        await using (var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken))
        await using (var first = await LiveClient.ConnectAsync(_api.BaseAddress, formula.ParticipantToken))
        {
            await using (var second = await LiveClient.ConnectAsync(_api.BaseAddress, at.ParticipantToken))
            {
                var question = await first.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "志愿者怎么招募？", (string?)null, false);
                await second.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), question.Id);
                await second.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "=HYPERLINK(\"http://x\")", (string?)null, false);
                await using (await LiveClient.ConnectAsync(_api.BaseAddress, minus.ParticipantToken))
                {
                    await Task.Delay(1000);
                }

                // Over half a minute: the page shows 1 minute, and so must every file (the CSV said 0.5).
                await Task.Delay(31_000);
            }
        }

        using var organiser = _api.Organiser();
        var page = await ClosedAttendanceAsync(organiser, session.Id, 4);
        Assert.All(page, p => Assert.Equal(AttendanceReport.Minutes(p.SecondsPresent), p.MinutesPresent));
        Assert.Equal(1, page.Single(p => p.DisplayName == "=1+2").MinutesPresent);
        Assert.Equal(0, page.Single(p => p.DisplayName == "-2").MinutesPresent);

        // CSV, Chinese: BOM, the heading, a blank line, the headers, one row per participant.
        var participants = await organiser.GetAsync($"/api/sessions/{session.Id}/exports/attendance/participants.csv?lang=zh");
        Assert.Equal("text/csv", participants.Content.Headers.ContentType?.MediaType);
        var bytes = await participants.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var text = Encoding.UTF8.GetString(bytes[3..]);
        Assert.EndsWith("\r\n", text);
        var lines = text.Split("\r\n")[..^1];
        var localDate = session.StartsAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal($"交流活动,{title}", lines[0]);
        Assert.Equal($"日期,{localDate}", lines[1]);
        Assert.Equal("时区,Asia/Shanghai (UTC+08:00)", lines[2]);
        Assert.Equal("", lines[3]);
        Assert.Equal("机构,城市,显示名称,角色,人数,首次加入,最后离开,在线时长（分钟）,加入次数,同意的告知版本,同意时间", lines[4]);
        var rows = lines[5..].Select(l => l.Split(',')).ToArray();
        Assert.Equal(4, rows.Length);
        foreach (var p in page)
        {
            var shown = p.DisplayName is "=1+2" or "@SUM(A1)" or "-2" ? "'" + p.DisplayName : p.DisplayName;
            var row = Assert.Single(rows, r => r[2] == shown);
            Assert.Equal(p.Role == ParticipantRoles.Host ? "主讲方" : "观看方", row[3]);
            Assert.Equal(p.Headcount.ToString(CultureInfo.InvariantCulture), row[4]);
            Assert.Equal(p.MinutesPresent.ToString(CultureInfo.InvariantCulture), row[7]);
        }

        var disposition = participants.Content.Headers.ContentDisposition!;
        Assert.Equal($"{localDate} attendance-participants.csv", disposition.FileName!.Trim('"'));
        Assert.Equal($"{localDate} {title} 出勤-参会者 attendance-participants.csv", disposition.FileNameStar);

        // By agency: the host and the three invited, the one that never came with zeros; minutes the union.
        var byAgency = await CsvRowsAsync(organiser, $"/api/sessions/{session.Id}/exports/attendance/agencies.csv?lang=en");
        Assert.Equal("Agency,City,Kind,Screens,Total headcount,Minutes present", byAgency[0]);
        Assert.Equal($"{session.HostAgency.Name},镇江,Host,1,1,{page.Single(p => p.Role == "host").MinutesPresent}", byAgency[1]);
        Assert.Equal($"{invited[0].Name},邢台,Invited,2,5,1", byAgency[2]);
        Assert.Equal($"{invited[1].Name},邢台,Invited,1,1,0", byAgency[3]);
        Assert.Equal($"{invited[2].Name},邢台,Invited,0,0,0", byAgency[4]);
        var intervals = await CsvRowsAsync(organiser, $"/api/sessions/{session.Id}/exports/attendance/intervals.csv?lang=en");
        Assert.Equal(1 + page.Sum(p => p.Joins), intervals.Length);

        // XLSX: three sheets, Chinese headers, numbers as numbers, the formula-looking name a string.
        var xlsx = await organiser.GetAsync($"/api/sessions/{session.Id}/exports/attendance.xlsx?lang=zh");
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{localDate} {title} 出勤 attendance.xlsx", xlsx.Content.Headers.ContentDisposition!.FileNameStar);
        using (var book = Workbook(await xlsx.Content.ReadAsByteArrayAsync()))
        {
            Assert.Equal(["参会者", "按机构", "连接时段"], SheetNames(book));
            var sheet = Rows(book, "参会者");
            Assert.Equal(title, Value(sheet[0][1]));
            Assert.Equal(["机构", "城市", "显示名称", "角色", "人数", "首次加入", "最后离开", "在线时长（分钟）", "加入次数", "同意的告知版本", "同意时间"], sheet[4].Select(Value));
            Assert.Equal(4, sheet.Length - 5);
            foreach (var p in page)
            {
                var row = Assert.Single(sheet[5..], r => Value(r[2]) == p.DisplayName);
                Assert.Equal(CellValues.InlineString, row[2].DataType!.Value);
                Assert.Null(row[2].CellFormula);
                Assert.Equal(CellValues.Number, row[4].DataType!.Value);
                Assert.Equal(p.Headcount.ToString(CultureInfo.InvariantCulture), row[4].CellValue!.Text);
                Assert.Equal(p.MinutesPresent.ToString(CultureInfo.InvariantCulture), row[7].CellValue!.Text);
                // First joined: a date serial in the session's zone (Beijing time), shown with a date format.
                var firstJoined = DateTime.FromOADate(double.Parse(row[5].CellValue!.Text, CultureInfo.InvariantCulture));
                Assert.InRange((firstJoined - p.FirstJoinedAt.ToOffset(TimeSpan.FromHours(8)).DateTime).Duration().TotalSeconds, 0, 1);
                Assert.NotNull(row[5].StyleIndex);
            }

            var agencies = Rows(book, "按机构");
            Assert.Equal(["0", "0", "0"], agencies[^1][3..].Select(c => c.CellValue!.Text));
        }

        using (var book = Workbook(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/attendance.xlsx?lang=en")))
        {
            Assert.Equal(["Participants", "By agency", "Intervals"], SheetNames(book));
            Assert.Contains(Rows(book, "Participants")[5..], r => Value(r[3]) == "Viewer");
        }

        // Questions: text, agency, city, name, anonymous, status, votes (a number), pinned, times, reply;
        // the formula-looking one defused in CSV.
        var questions = await CsvRowsAsync(organiser, $"/api/sessions/{session.Id}/exports/questions/questions.csv?lang=zh");
        Assert.Equal("问题,机构,城市,显示名称,匿名,状态,点赞数,置顶,提问时间,回答时间,书面回复,回复时间", questions[0]);
        Assert.StartsWith($"志愿者怎么招募？,{invited[0].Name},{invited[0].City},'=1+2,否,已显示,1,否,", questions[1]);
        Assert.StartsWith($"\"'=HYPERLINK(\"\"http://x\"\")\",{invited[0].Name},{invited[0].City},'@SUM(A1),否,已显示,0,否,", questions[2]);
        using (var book = Workbook(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/questions.xlsx?lang=zh")))
        {
            var sheet = Rows(book, "提问");
            Assert.Equal("=HYPERLINK(\"http://x\")", Value(sheet[6][0]));
            Assert.Null(sheet[6][0].CellFormula);
            Assert.Equal(CellValues.Number, sheet[5][6].DataType!.Value);
            Assert.Equal("1", sheet[5][6].CellValue!.Text);
        }

        // The session report: every export as XLSX and as CSV per sheet.
        var zip = await organiser.GetAsync($"/api/sessions/{session.Id}/exports/report.zip?lang=zh");
        Assert.Equal("application/zip", zip.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{localDate} {title} 交流报告 report.zip", zip.Content.Headers.ContentDisposition!.FileNameStar);
        using (var archive = new ZipArchive(new MemoryStream(await zip.Content.ReadAsByteArrayAsync())))
        {
            var prefix = $"{localDate} {title} ";
            Assert.Equal(
                new[]
                {
                    "出勤 attendance.xlsx", "出勤-参会者 attendance-participants.csv", "出勤-按机构 attendance-agencies.csv",
                    "出勤-连接时段 attendance-intervals.csv", "提问 questions.xlsx", "提问 questions.csv",
                    "反馈 feedback.xlsx", "反馈-反馈明细 feedback-responses.csv", "反馈-反馈汇总 feedback-summary.csv",
                    "报名与到场 roster.xlsx", "报名与到场-受邀机构 roster-agencies.csv", "报名与到场-缺席机构 roster-absentees.csv",
                    "互动表情 reactions.xlsx", "互动表情 reactions.csv",
                    "投票 polls.xlsx", "投票-投票结果 polls-results.csv", "投票-按机构 polls-agencies.csv",
                    "参会人员 people.xlsx", "参会人员 people.csv",
                }.Select(n => prefix + n),
                archive.Entries.Select(e => e.FullName));
            using var inZip = new StreamReader(archive.Entries[1].Open());
            Assert.Equal(text, (await inZip.ReadToEndAsync()).TrimStart('\uFEFF'));
        }

        // The link organisers had still gives the participants sheet.
        Assert.Equal(bytes, await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/attendance.csv?lang=zh"));

        // Refusals: an unknown export or sheet, a language, a viewer, an unknown session.
        await Api.AssertProblemAsync(await organiser.GetAsync($"/api/sessions/{session.Id}/exports/feedbacks.xlsx"), HttpStatusCode.NotFound, "export_not_found");
        await Api.AssertProblemAsync(await organiser.GetAsync($"/api/sessions/{session.Id}/exports/attendance/people.csv"), HttpStatusCode.NotFound, "export_not_found");
        await Api.AssertProblemAsync(await organiser.GetAsync($"/api/sessions/{session.Id}/exports/attendance.xlsx?lang=fr"), HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(await organiser.GetAsync("/api/sessions/987654321/exports/report.zip"), HttpStatusCode.NotFound, "session_not_found");
        using var viewer = _api.Client(formula.ParticipantToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync($"/api/sessions/{session.Id}/exports/report.zip")).StatusCode);

        // The catalogue the page builds its links from.
        var catalogue = (await organiser.GetFromJsonAsync<ExportCatalogue>("/api/exports", Api.Json))!;
        Assert.Equal(["attendance", "questions", "feedback", "roster", "reactions", "polls", "people"], catalogue.Exports.Select(e => e.Key));
        Assert.Equal(["participants", "agencies", "intervals"], catalogue.Exports[0].Sheets.Select(s => s.Key));
    }

    [Fact]
    public async Task Text_stored_before_input_checks_is_defused_in_csv_and_still_makes_a_readable_xlsx()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "旧数据");
        await using (await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken))
        {
        }

        // Stored by an older version that checked nothing: a control character before a formula.
        var database = app.Services.GetRequiredService<Database>();
        await using (var connection = await database.OpenAsync())
        {
            await connection.ExecuteAsync("update participants set display_name = @name where token = @token",
                new { name = "\u0001=cmd|' /C calc'!A0", token = joined.ParticipantToken });
        }

        using var organiser = _api.Organiser();
        var csv = await CsvRowsAsync(organiser, $"/api/sessions/{session.Id}/exports/attendance/participants.csv?lang=en");
        Assert.Contains(csv, l => l.Contains(",'\u0001=cmd|' /C calc'!A0,", StringComparison.Ordinal));
        using var book = Workbook(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/attendance.xlsx?lang=en"));
        var row = Assert.Single(Rows(book, "Participants")[5..]);
        Assert.Equal("\uFFFD=cmd|' /C calc'!A0", Value(row[2]));
        Assert.Null(row[2].CellFormula);

        // A session without questions still has its (empty) questions sheet in the report.
        using var zip = new ZipArchive(new MemoryStream(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/report.zip?lang=en")));
        Assert.Equal(19, zip.Entries.Count);
        using var questions = Workbook(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/questions.xlsx?lang=en"));
        Assert.Equal(["Question", "Agency", "City", "Display name", "Anonymous", "Status", "Votes", "Pinned", "Asked at", "Answered at", "Reply", "Replied at"],
            Rows(questions, "Questions")[4].Select(Value));
    }

    [Fact]
    public async Task Sessions_across_dates_filter_by_agency_and_city_with_the_attendance_figures()
    {
        var sfx = Guid.NewGuid().ToString("N")[..6];
        using var organiser = _api.Organiser();
        var hostA = await Api.PostAsync<Agency>(organiser, "/api/agencies", new { name = $"益家乐{sfx}", city = $"镇江{sfx}", province = "江苏" });
        var hostB = await Api.PostAsync<Agency>(organiser, "/api/agencies", new { name = $"阳光{sfx}", city = $"苏州{sfx}", province = "江苏" });
        var guest = await Api.PostAsync<Agency>(organiser, "/api/agencies", new { name = $"益襄{sfx}", city = $"邢台{sfx}", province = "河北" });
        var now = DateTimeOffset.UtcNow;
        var live = await ScheduleAsync(organiser, "今天 A", hostA, [guest], now.AddMinutes(-30), now.AddHours(2));
        var other = await ScheduleAsync(organiser, "今天 B", hostB, [guest], now.AddMinutes(-30), now.AddHours(2));
        var past = await ScheduleAsync(organiser, "三天前", hostA, [], now.AddDays(-3), now.AddDays(-3).AddHours(2));
        var future = await ScheduleAsync(organiser, "下周", hostA, [guest], now.AddDays(7), now.AddDays(7).AddHours(2));

        // Four people behind one screen of the guest agency, and a question, in the live session.
        var joined = await _api.JoinAsync(live.Code, guest.Id, "李华", headcount: 4);
        await using (var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken))
        {
            await viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "怎么招募志愿者？", (string?)null, false);
        }

        async Task<SessionsReportResult> ReportAsync(string query) =>
            (await organiser.GetFromJsonAsync<SessionsReportResult>($"/api/reports/sessions?{query}", Api.Json))!;

        // Held by or inviting the agency; a future session is not in a report of what happened.
        var byGuest = await ReportAsync($"agencyId={guest.Id}");
        Assert.Equal([other.Id, live.Id], byGuest.Sessions.Select(s => s.SessionId).Order().Reverse());
        var figures = byGuest.Sessions.Single(s => s.SessionId == live.Id);
        Assert.Equal((1, 1, 1, 4, 1), (figures.InvitedAgencies, figures.AgenciesAttended, figures.Screens, figures.People, figures.Questions));
        Assert.Equal(hostA.Id, figures.HostAgency.Id);
        Assert.Equal(live.StartsAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), figures.Date);
        Assert.Equal(TimeSpan.FromHours(8), figures.StartsAt.Offset);
        Assert.Equal((0, 0, 0, 0), (byGuest.Sessions.Single(s => s.SessionId == other.Id) is var o ? (o.AgenciesAttended, o.Screens, o.People, o.Questions) : default));
        Assert.Equal(2, byGuest.Totals.Sessions);
        Assert.Equal(4, byGuest.Totals.People);

        // The figures are the attendance export's: minutes summed over the agencies.
        var attendance = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{live.Id}/attendance", Api.Json))!;
        Assert.Equal(attendance.Sum(p => p.Headcount), figures.People);
        Assert.Equal(attendance.Sum(p => p.MinutesPresent), figures.Minutes);

        // By city: the host's or an invited agency's.
        Assert.Equal([live.Id, past.Id], (await ReportAsync($"city={Uri.EscapeDataString(hostA.City)}")).Sessions.Select(s => s.SessionId).Order());
        Assert.Equal([live.Id, other.Id], (await ReportAsync($"city={Uri.EscapeDataString(guest.City)}")).Sessions.Select(s => s.SessionId).Order());
        // By date, in the session's own zone.
        var pastDate = past.StartsAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Assert.Equal([past.Id], (await ReportAsync($"agencyId={hostA.Id}&to={pastDate}")).Sessions.Select(s => s.SessionId));
        Assert.Equal([live.Id], (await ReportAsync($"agencyId={hostA.Id}&from={past.StartsAt.AddDays(1):yyyy-MM-dd}")).Sessions.Select(s => s.SessionId));
        Assert.DoesNotContain(future.Id, (await ReportAsync("")).Sessions.Select(s => s.SessionId));
        // A cancelled session did not happen either.
        var cancelled = await ScheduleAsync(organiser, "取消了", hostB, [guest], now.AddMinutes(-10), now.AddHours(1));
        Assert.Equal(HttpStatusCode.OK, (await organiser.PostAsync($"/api/sessions/{cancelled.Id}/cancel", null)).StatusCode);
        Assert.Equal([other.Id], (await ReportAsync($"agencyId={hostB.Id}")).Sessions.Select(s => s.SessionId));
        await Api.AssertProblemAsync(await organiser.GetAsync("/api/reports/sessions?from=16/03/2026"), HttpStatusCode.BadRequest, "validation");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _api.Client().GetAsync("/api/reports/sessions")).StatusCode);

        // The same list as CSV and XLSX, the filter in the heading.
        var csv = await organiser.GetAsync($"/api/reports/sessions.csv?agencyId={guest.Id}&lang=zh");
        var lines = Encoding.UTF8.GetString((await csv.Content.ReadAsByteArrayAsync())[3..]).Split("\r\n")[..^1];
        Assert.Equal("交流活动,交流活动汇总", lines[0]);
        Assert.Equal($"筛选,机构: {guest.Name}", lines[3]);
        Assert.Equal("开始时间,时区,标题,状态,主讲机构,主讲城市,受邀机构数,出席机构数,终端数,人数,总时长（分钟）,提问数,反馈数,反馈代表人数,总体评分", lines[5]);
        Assert.Equal(2, lines.Length - 6);
        Assert.EndsWith($",今天 A,进行中,{hostA.Name},{hostA.City},1,1,1,4,{figures.Minutes},1,0,0,", Assert.Single(lines[6..], l => l.Contains("今天 A")));
        using var book = Workbook(await organiser.GetByteArrayAsync($"/api/reports/sessions.xlsx?city={Uri.EscapeDataString(guest.City)}&lang=en"));
        var sheet = Rows(book, "Sessions");
        Assert.Equal("Starts at", Value(sheet[5][0]));
        var row = Assert.Single(sheet[6..], r => Value(r[2]) == "今天 A");
        Assert.Equal(CellValues.Number, row[9].DataType!.Value);
        Assert.Equal("4", row[9].CellValue!.Text);
    }

    /// <summary>The role words of the files are the page's role.host / role.viewer, in both languages.</summary>
    [Fact]
    public void Role_names_in_files_are_the_pages()
    {
        foreach (var (file, lang) in new[] { ("zh.ts", ExportLanguage.Zh), ("en.ts", ExportLanguage.En) })
        {
            var ts = File.ReadAllText(Path.Combine(TestServers.RepoRoot, "src/Web/src/i18n", file));
            Assert.Contains($"\"role.host\": \"{ExportWords.Role(ParticipantRoles.Host).In(lang)}\",", ts);
            Assert.Contains($"\"role.viewer\": \"{ExportWords.Role(ParticipantRoles.Viewer).In(lang)}\",", ts);
        }
    }

    private static async Task<SessionScheduled> ScheduleAsync(HttpClient organiser, string title, Agency host, Agency[] invited,
        DateTimeOffset startsAt, DateTimeOffset endsAt) =>
        await Api.PostAsync<SessionScheduled>(organiser, "/api/sessions", new
        {
            title,
            description = "",
            hostAgencyId = host.Id,
            invitedAgencyIds = invited.Select(a => a.Id).ToArray(),
            startsAt = LiveExchange.Bench.Cluster.LocalTime(startsAt),
            endsAt = LiveExchange.Bench.Cluster.LocalTime(endsAt),
            timeZone = "Asia/Shanghai",
        });

    /// <summary>The table part of a CSV: the header and the rows after the heading and its blank line.</summary>
    private static async Task<string[]> CsvRowsAsync(HttpClient organiser, string path)
    {
        var bytes = await organiser.GetByteArrayAsync(path);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n")[..^1];
        return lines[(Array.IndexOf(lines, "") + 1)..];
    }

    /// <summary>A client's close returns before the server has recorded the leave; wait for it.</summary>
    private static async Task<ParticipantAttendance[]> ClosedAttendanceAsync(HttpClient organiser, long sessionId, int count)
    {
        for (var attempt = 0; ; attempt++)
        {
            var rows = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{sessionId}/attendance", Api.Json))!;
            if ((rows.Length == count && rows.All(r => !r.Connected)) || attempt == 50)
            {
                Assert.Equal(count, rows.Length);
                return rows;
            }

            await Task.Delay(100);
        }
    }

    private static SpreadsheetDocument Workbook(byte[] bytes) => SpreadsheetDocument.Open(new MemoryStream(bytes), false);

    private static string[] SheetNames(SpreadsheetDocument book) =>
        book.WorkbookPart!.Workbook.Sheets!.Elements<Sheet>().Select(s => s.Name!.Value!).ToArray();

    private static Cell[][] Rows(SpreadsheetDocument book, string sheetName)
    {
        var sheet = book.WorkbookPart!.Workbook.Sheets!.Elements<Sheet>().Single(s => s.Name == sheetName);
        var part = (WorksheetPart)book.WorkbookPart.GetPartById(sheet.Id!);
        var rows = part.Worksheet.GetFirstChild<SheetData>()!.Elements<Row>().ToArray();
        // Row numbers as Excel shows them: the blank row between heading and header is an empty row here.
        var table = new Cell[rows.Max(r => (int)r.RowIndex!.Value)][];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = rows.FirstOrDefault(r => r.RowIndex!.Value == i + 1)?.Elements<Cell>().ToArray() ?? [];
        }

        return table;
    }

    private static string Value(Cell cell) => cell.DataType?.Value == CellValues.InlineString ? cell.InlineString!.InnerText : cell.CellValue?.Text ?? "";
}

public sealed class ExportTestsOnPostgres(PostgresAppFixture fixture) : ExportTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class ExportTestsOnSqlite(SqliteAppFixture fixture) : ExportTests(fixture.App), IClassFixture<SqliteAppFixture>;
