using System.Net;
using System.Net.Http.Json;
using System.Text;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Consent;
using LiveExchange.Hub.Invitations;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Retention;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;

namespace LiveExchange.Tests.Organising;

/// <summary>What the people tests share: an app with a clock they move, and the steps they repeat.</summary>
public abstract class PeopleSteps(ExchangeApp app, ShiftableClock clock)
{
    protected readonly Api _api = new(app.BaseAddress);

    protected ExchangeApp App => app;

    protected ShiftableClock Clock => clock;


    protected async Task<(Hub.Sessions.SessionScheduled Session, Hub.Agencies.Agency[] Invited)> ScheduleNowAsync(string title)
    {
        // Times from the app's clock, which earlier tests in this class may have moved days ahead.
        var now = Clock.GetUtcNow();
        return await _api.ScheduleAsync($"{title} {Guid.NewGuid():N}"[..(title.Length + 7)], now.AddMinutes(-30), now.AddHours(3));
    }

    protected static object[] Room(params string[] people) =>
        people.Select(p => p.Split('|') is [var name, var title] ? new { name, jobTitle = (string?)title } : new { name = p, jobTitle = (string?)null })
            .Cast<object>().ToArray();

    protected static RoomMemberInput[] Members(params string[] people) =>
        people.Select(p => p.Split('|') is [var name, var title] ? new RoomMemberInput(name, title) : new RoomMemberInput(p)).ToArray();

    protected async Task<Joined> JoinWithRoomAsync(string code, long agencyId, string displayName, object[] room, long? consentVersion = null)
    {
        using var anyone = _api.Client();
        return await Api.PostAsync<Joined>(anyone, "/api/join", new
        {
            code, agencyId, displayName, headcount = 1, room, consentVersion = consentVersion ?? await _api.ConsentVersionAsync(code),
        });
    }

    protected async Task<ParticipantAttendance[]> AttendanceAsync(long sessionId)
    {
        using var organiser = _api.Organiser();
        return (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{sessionId}/attendance", Api.Json))!;
    }

    protected async Task WaitUntilLeftAsync(long sessionId)
    {
        for (var i = 0; i < 100 && (await AttendanceAsync(sessionId)).Any(p => p.Connected); i++)
        {
            await Task.Delay(100);
        }
    }

    protected async Task<string[]> CsvAsync(long sessionId, string export, string sheet, string lang = "zh")
    {
        using var organiser = _api.Organiser();
        var bytes = await organiser.GetByteArrayAsync($"/api/sessions/{sessionId}/exports/{export}/{sheet}.csv?lang={lang}");
        return Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
    }
}

/// <summary>
/// Room rosters, consent and retention (issue 10, points 4, 5, 7), through HTTP and the hub, on an app whose
/// clock the test moves: minutes per person are exact, and retention expiry is days later. Both databases.
/// </summary>
public abstract class PeopleTests(ExchangeApp app, ShiftableClock clock) : PeopleSteps(app, clock)
{
    [Fact]
    public async Task A_roster_is_the_headcount_changes_mid_session_and_each_person_has_exact_minutes()
    {
        var (session, invited) = await ScheduleNowAsync("在场名单");
        var joined = await JoinWithRoomAsync(session.Code, invited[0].Id, "会议室大屏", Room("张伟|社工", "李娜|督导", "王芳"));
        var consentedAt = Clock.GetUtcNow();

        await using (var screen = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken))
        await using (var secondTab = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken))
        {
            var room = await screen.InvokeAsync<RoomState>(nameof(IExchangeHub.GetRoom));
            Assert.Equal(["张伟", "李娜", "王芳"], room.Members.Select(m => m.Name));
            Assert.Equal("社工", room.Members[0].JobTitle);
            Assert.Equal(3, room.Headcount);

            // Ten minutes in, 陈静 arrives late: the headcount is four from now on, and the other tab hears it.
            Clock.Advance(TimeSpan.FromMinutes(10));
            var four = await screen.InvokeAsync<RoomState>(nameof(IExchangeHub.SetRoom), (object)Members("张伟|社工", "李娜|督导", "王芳", "陈静|志愿者"));
            Assert.Equal(4, four.Headcount);
            Assert.Equal("陈静", four.Members[^1].Name);
            Assert.True(four.Version > room.Version);
            var heard = await secondTab.WaitForAsync<RoomState>(r => r.Version == four.Version);
            Assert.Equal(4, heard.Members.Count);

            // Twenty minutes later 王芳 leaves (and 李娜's title is corrected: the same person, still here).
            Clock.Advance(TimeSpan.FromMinutes(20));
            var three = await screen.InvokeAsync<RoomState>(nameof(IExchangeHub.SetRoom), (object)Members("张伟|社工", "李娜|主任", "陈静|志愿者"));
            Assert.Equal(3, three.Headcount);
            Assert.Equal(["张伟", "李娜", "陈静"], three.Members.Select(m => m.Name));
            Assert.Equal(room.Members[1].Id, three.Members[1].Id);

            // The organiser sees who is in the room now.
            var live = Assert.Single(await AttendanceAsync(session.Id), p => p.DisplayName == "会议室大屏");
            Assert.Equal(["张伟", "李娜", "陈静"], live.Room);

            Clock.Advance(TimeSpan.FromMinutes(15));
        }

        await WaitUntilLeftAsync(session.Id);
        var screenRow = Assert.Single(await AttendanceAsync(session.Id), p => p.DisplayName == "会议室大屏");
        Assert.Equal(45, screenRow.MinutesPresent);
        Assert.Equal(2, screenRow.Joins); // two tabs; the headcount changes continue their intervals

        // Headcount × minutes stay exact: one interval per headcount, per tab.
        var intervals = (await CsvAsync(session.Id, "attendance", "intervals"))
            .Where(l => l.StartsWith(invited[0].Name, StringComparison.Ordinal)).Select(l => l.Split(',')).ToArray();
        Assert.Equal(["3|10", "3|10", "3|15", "3|15", "4|20", "4|20"],
            intervals.Select(r => $"{r[2]}|{r[5]}").Order(StringComparer.Ordinal));

        // The people export: one row per person, minutes within their time on the list, the consent given.
        var people = await CsvAsync(session.Id, "people", "people");
        var header = Array.IndexOf(people, "机构,城市,终端,姓名,职务,加入名单,移出名单,在场时长（分钟）,同意的告知版本,同意时间");
        Assert.True(header > 0, string.Join("\n", people));
        var listed = people[(header + 1)..].Select(l => l.Split(',')).ToArray();
        Assert.Equal(["张伟", "李娜", "王芳", "陈静"], listed.Select(r => r[3]));
        var rows = listed.ToDictionary(r => r[3]);
        Assert.Equal(("主任", "45"), (rows["李娜"][4], rows["李娜"][7]));
        Assert.Equal(("社工", "45", ""), (rows["张伟"][4], rows["张伟"][7], rows["张伟"][6]));
        Assert.Equal("30", rows["王芳"][7]);
        Assert.NotEqual("", rows["王芳"][6]);
        Assert.Equal(("志愿者", "35"), (rows["陈静"][4], rows["陈静"][7]));
        Assert.All(rows.Values, r => Assert.Equal("1", r[8]));
        var at = DateTime.ParseExact(rows["张伟"][9], "yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(at, consentedAt.ToOffset(TimeSpan.FromHours(8)).DateTime.AddSeconds(-5), consentedAt.ToOffset(TimeSpan.FromHours(8)).DateTime.AddSeconds(5));

        // The workbook says the same in English; the attendance sheet carries the consent too.
        using var organiser = _api.Organiser();
        var book = Spreadsheets.Open(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/people.xlsx?lang=en"));
        var sheet = Spreadsheets.Rows(book, "People");
        var top = Array.FindIndex(sheet, r => r.FirstOrDefault() == "Agency");
        Assert.Equal(["Agency", "City", "Screen", "Name", "Job title", "Added", "Removed", "Minutes present", "Consent notice version", "Consented at"], sheet[top]);
        Assert.Equal(["陈静", "35"], new[] { sheet[top + 4][3], sheet[top + 4][7] });
        var attendance = await CsvAsync(session.Id, "attendance", "participants");
        Assert.EndsWith(",1," + rows["张伟"][9], attendance.Single(l => l.Contains("会议室大屏", StringComparison.Ordinal)));

        // The report zip holds the new export in both formats.
        using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(
            await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/report.zip?lang=zh")));
        Assert.Contains(zip.Entries, e => e.Name.EndsWith(".xlsx", StringComparison.Ordinal) && e.Name.Contains("参会人员", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_roster_of_a_thousand_names_is_refused_whole_and_nothing_is_stored()
    {
        var (session, invited) = await ScheduleNowAsync("千人名单");
        using var organiser = _api.Organiser();
        using var anyone = _api.Client();
        var thousand = Enumerable.Range(1, 1000).Select(i => $"社工{i}").ToArray();
        var version = await _api.ConsentVersionAsync(session.Code);
        // Nobody yet: an empty list (SQLite answered 500 here before the participants' row type was fixed).
        Assert.Empty((await organiser.GetFromJsonAsync<Hub.Participants.ParticipantEntry[]>($"/api/sessions/{session.Id}/participants", Api.Json))!);
        await JoinWithRoomAsync(session.Code, invited[1].Id, "另一块屏", Room("李娜"));

        var refused = await anyone.PostAsJsonAsync("/api/join",
            new { code = session.Code, agencyId = invited[0].Id, displayName = "大厅", headcount = 1, room = Room(thousand), consentVersion = version });
        var title = await Api.AssertProblemAsync(refused, HttpStatusCode.BadRequest, "room_roster_too_long");
        Assert.Contains("100", title);
        var participants = (await organiser.GetFromJsonAsync<Hub.Participants.ParticipantEntry[]>($"/api/sessions/{session.Id}/participants", Api.Json))!;
        Assert.DoesNotContain(participants, p => p.DisplayName == "大厅");

        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync("/api/join",
            new { code = session.Code, agencyId = invited[0].Id, displayName = "大厅", headcount = 1, room = Room("张伟", "张伟"), consentVersion = version }),
            HttpStatusCode.BadRequest, "room_name_duplicate");
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync("/api/join",
            new { code = session.Code, agencyId = invited[0].Id, displayName = "大厅", headcount = 1, room = Room(new string('名', 51)), consentVersion = version }),
            HttpStatusCode.BadRequest, "room_name_invalid");

        // Blank lines are dropped, names trimmed; exactly the limit is fine.
        var hundred = Enumerable.Range(1, 100).Select(i => $" 社工{i} ").Append("  ").ToArray();
        var joined = await JoinWithRoomAsync(session.Code, invited[0].Id, "大厅", Room(hundred));
        await using var screen = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var room = await screen.InvokeAsync<RoomState>(nameof(IExchangeHub.GetRoom));
        Assert.Equal(100, room.Headcount);
        Assert.Equal("社工1", room.Members[0].Name);

        // Over the hub the same: the whole list refused, the roster as it was.
        var error = await Assert.ThrowsAsync<HubException>(() => screen.InvokeAsync<RoomState>(nameof(IExchangeHub.SetRoom), (object)Members(thousand)));
        Assert.Contains("[room_roster_too_long]", error.Message);
        var after = await screen.InvokeAsync<RoomState>(nameof(IExchangeHub.GetRoom));
        Assert.Equal((100, room.Version), (after.Members.Count, after.Version));
        Assert.Equal(100, Assert.Single(await AttendanceAsync(session.Id), p => p.DisplayName == "大厅").Headcount);
    }

    [Fact]
    public async Task Only_a_viewer_edits_a_room_and_only_its_own()
    {
        var (session, invited) = await ScheduleNowAsync("权限");
        var mine = await JoinWithRoomAsync(session.Code, invited[0].Id, "一号屏", Room("张伟"));
        var theirs = await JoinWithRoomAsync(session.Code, invited[1].Id, "二号屏", Room("李娜", "王芳"));
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        await using var one = await LiveClient.ConnectAsync(_api.BaseAddress, mine.ParticipantToken);
        await using var two = await LiveClient.ConnectAsync(_api.BaseAddress, theirs.ParticipantToken);

        var refused = await Assert.ThrowsAsync<HubException>(() => host.InvokeAsync<RoomState>(nameof(IExchangeHub.SetRoom), (object)Members("冒名")));
        Assert.Contains("[viewer_only]", refused.Message);
        Assert.Contains("[viewer_only]", (await Assert.ThrowsAsync<HubException>(() => host.InvokeAsync<RoomState>(nameof(IExchangeHub.GetRoom)))).Message);
        await using (var moderator = await LiveClient.ConnectAsync(_api.BaseAddress, LiveExchange.Tests.Live.ModerationBehaviour.ModeratorToken(session)))
        {
            var moderatorRefused = await Assert.ThrowsAsync<HubException>(() => moderator.InvokeAsync<RoomState>(nameof(IExchangeHub.SetRoom), (object)Members("冒名")));
            Assert.Contains("[viewer_only]", moderatorRefused.Message);
        }


        // A viewer's call names no screen: it changes its own, and the other screen neither changes nor hears of it.
        await one.InvokeAsync<RoomState>(nameof(IExchangeHub.SetRoom), (object)Members("张伟", "陈静"));
        Assert.Equal(["李娜", "王芳"], (await two.InvokeAsync<RoomState>(nameof(IExchangeHub.GetRoom))).Members.Select(m => m.Name));
        await Task.Delay(300);
        Assert.Empty(two.Received.OfType<RoomState>());
        var rooms = await AttendanceAsync(session.Id);
        Assert.Equal(["张伟", "陈静"], rooms.Single(p => p.DisplayName == "一号屏").Room);
        Assert.Equal(["李娜", "王芳"], rooms.Single(p => p.DisplayName == "二号屏").Room);
    }

    [Fact]
    public async Task Joining_needs_consent_to_the_notice_as_it_is_now()
    {
        var (session, invited) = await ScheduleNowAsync("知情同意");
        using var anyone = _api.Client();
        using var organiser = _api.Organiser();

        var notice = (await anyone.GetFromJsonAsync<ConsentNotice>($"/api/join/{session.Code}/notice", Api.Json))!;
        Assert.Equal((1L, false, 365), (notice.Version, notice.Custom, notice.RetentionDays));
        Assert.Contains("365 天", notice.TextZh);
        Assert.Contains("365 days", notice.TextEn);
        Assert.Contains("在场人员名单", notice.TextZh);

        object Body(long? consentVersion) => new { code = session.Code, agencyId = invited[0].Id, displayName = "会议室", headcount = 2, consentVersion };
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync("/api/join", Body(null)), HttpStatusCode.BadRequest, "consent_required");

        // The organiser's own words and a shorter period: a new version, and the old one is out of date.
        await Api.AssertProblemAsync(await anyone.PutAsJsonAsync($"/api/sessions/{session.Id}/notice", new { textZh = "我的告知" }),
            HttpStatusCode.Unauthorized, "unauthorised");
        var edited = await (await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/notice",
            new { textZh = "本场记录机构、姓名和提问，仅主办方可见。", textEn = "We record agencies, names and questions; only the organiser sees them.", retentionDays = 30 }))
            .Content.ReadFromJsonAsync<ConsentNotice>(Api.Json);
        Assert.Equal((2L, true, 30), (edited!.Version, edited.Custom, edited.RetentionDays));
        Assert.StartsWith("本场记录机构、姓名和提问，仅主办方可见。", edited.TextZh);
        Assert.Contains("30 天", edited.TextZh);
        Assert.Contains("30 days", edited.TextEn);
        Assert.Equal(edited, await anyone.GetFromJsonAsync<ConsentNotice>($"/api/join/{session.Code}/notice", Api.Json));
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/notice", new { retentionDays = 0 }),
            HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/notice", new { textZh = new string('字', 2001) }),
            HttpStatusCode.BadRequest, "validation");

        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync("/api/join", Body(1)), HttpStatusCode.Conflict, "consent_outdated");
        var joined = await Api.PostAsync<Joined>(anyone, "/api/join", Body(2));
        // The refused attempts stored nothing: one participant, the one that accepted.
        var participants = (await organiser.GetFromJsonAsync<Hub.Participants.ParticipantEntry[]>($"/api/sessions/{session.Id}/participants", Api.Json))!;
        Assert.Equal(["会议室"], participants.Select(p => p.DisplayName));
        await using (await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken))
        {
        }

        await WaitUntilLeftAsync(session.Id);
        var line = (await CsvAsync(session.Id, "attendance", "participants", "en")).Single(l => l.Contains("会议室", StringComparison.Ordinal));
        Assert.Equal("2", line.Split(',')[9]);
    }
}

/// <summary>
/// The heartbeat runs on real time and stamps the moved clock: an instance is taken for gone once the clock
/// jumps past its timeout. The longest allowed (an hour) keeps this instance alive across the tests' jumps
/// while screens are connected (days pass only after everyone has left).
/// </summary>
internal static class InstanceTimeout
{
    public const string Key = "Attendance:InstanceTimeoutSeconds";
    public const string Value = "3600";
}

/// <summary>The Hub on a fresh PostgreSQL database with a clock the tests move.</summary>
public sealed class PeoplePostgresFixture : IAsyncLifetime
{
    public ShiftableClock Clock { get; } = new();

    public ExchangeApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = await TestServers.FreshHubSettingsAsync();
        settings[InstanceTimeout.Key] = InstanceTimeout.Value;
        App = new ExchangeApp(settings.ToDictionary(kv => kv.Key, kv => (string?)kv.Value), Clock);
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>The Hub on a fresh SQLite file with a clock the tests move.</summary>
public sealed class PeopleSqliteFixture : IAsyncLifetime
{
    private readonly string _file = TestServers.NewSqliteFile();

    public ShiftableClock Clock { get; } = new();

    public ExchangeApp App { get; private set; } = null!;

    public Task InitializeAsync()
    {
        App = new ExchangeApp(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Sqlite"] = $"Data Source={_file}",
            [InstanceTimeout.Key] = InstanceTimeout.Value,
        }, Clock);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestServers.DeleteSqliteFile(_file);
    }
}

public sealed class RetentionOnPostgres(PeoplePostgresFixture fixture) : RetentionTests(fixture.App, fixture.Clock), IClassFixture<PeoplePostgresFixture>;

public sealed class RetentionOnSqlite(PeopleSqliteFixture fixture) : RetentionTests(fixture.App, fixture.Clock), IClassFixture<PeopleSqliteFixture>;

public sealed class PeopleOnPostgres(PeoplePostgresFixture fixture) : PeopleTests(fixture.App, fixture.Clock), IClassFixture<PeoplePostgresFixture>;

public sealed class PeopleOnSqlite(PeopleSqliteFixture fixture) : PeopleTests(fixture.App, fixture.Clock), IClassFixture<PeopleSqliteFixture>;
