using System.Net;
using System.Net.Http.Json;
using LiveExchange.Bench;
using LiveExchange.Hub.Demo;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Npgsql;

namespace LiveExchange.Tests.ScaleOut;

/// <summary>Two hub processes on one PostgreSQL database and one Redis, as docker-compose runs them.</summary>
public sealed class TwoInstances : IAsyncLifetime
{
    public HubProcess A { get; private set; } = null!;

    public HubProcess B { get; private set; } = null!;

    public string Database { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var settings = await TestServers.FreshHubSettingsAsync();
        Database = settings["ConnectionStrings:Postgres"];
        // Started together on an empty database: the migration lock lets exactly one migrate.
        var a = HubProcess.StartAsync("A", settings);
        var b = HubProcess.StartAsync("B", settings);
        (A, B) = (await a, await b);
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}

public sealed class TwoInstanceTests(TwoInstances hubs) : IClassFixture<TwoInstances>
{
    private readonly Api _onA = new(hubs.A.BaseAddress);
    private readonly Api _onB = new(hubs.B.BaseAddress);

    [Fact]
    public async Task A_participants_own_event_reaches_its_screen_on_the_other_instance_and_nobody_else()
    {
        // One participant, two tabs: one on A, one on B. Its room roster is sent to the participant only
        // (a user send), through the one channel every instance reads.
        var (session, invited) = await _onA.ScheduleAsync();
        var joined = await _onA.JoinAsync(session.Code, invited[0].Id, "镇江分会场", 2);
        var other = await _onA.JoinAsync(session.Code, invited[1].Id, "邢台分会场", 1);
        await using var tabOnA = await LiveClient.ConnectAsync(hubs.A.BaseAddress, joined.ParticipantToken);
        await using var tabOnB = await LiveClient.ConnectAsync(hubs.B.BaseAddress, joined.ParticipantToken);
        await using var someoneElseOnB = await LiveClient.ConnectAsync(hubs.B.BaseAddress, other.ParticipantToken);

        var set = await tabOnA.InvokeAsync<RoomState>(nameof(IExchangeHub.SetRoom), (object)new[] { new RoomMemberInput("张伟", "社工"), new RoomMemberInput("李娜") });
        var seen = await tabOnB.WaitForAsync<RoomState>(r => r.Version == set.Version);
        Assert.Equal(["张伟", "李娜"], seen.Members.Select(m => m.Name));
        // Nobody else hears of it: checked once a later page change has reached the other viewer on B.
        await _onA.UploadDeckAsync(session, DemoSession.SampleDeck(3));
        await using var host = await LiveClient.ConnectAsync(hubs.A.BaseAddress, session.HostToken);
        var page = await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 2);
        await someoneElseOnB.WaitForAsync<PageChanged>(p => p.Version == page.Version);
        Assert.Empty(someoneElseOnB.Received.OfType<RoomState>());
    }

    [Fact]
    public async Task Pages_turned_at_once_from_both_instances_reach_every_viewer_on_each_in_version_order()
    {
        // A host page on A and its presenter view on B turn pages as fast as they can, at the same time.
        // Each instance delivers its own changes without waiting for Redis; without ordering, viewers on A
        // would see A's change before B's earlier one (and reload on the gap) while B's viewers saw the opposite.
        var (session, invited) = await _onA.ScheduleAsync();
        Assert.Equal(HttpStatusCode.Created, (await _onA.UploadDeckAsync(session, DemoSession.SampleDeck(30))).StatusCode);
        await using var hostOnA = await LiveClient.ConnectAsync(hubs.A.BaseAddress, session.HostToken);
        await using var presenterOnB = await LiveClient.ConnectAsync(hubs.B.BaseAddress, session.HostToken);
        var viewers = new List<(LiveClient Client, Uri Hub, long From)>();
        foreach (var (api, url, i) in new[] { (_onA, hubs.A.BaseAddress, 0), (_onA, hubs.A.BaseAddress, 1), (_onB, hubs.B.BaseAddress, 2), (_onB, hubs.B.BaseAddress, 3) })
        {
            var joined = await api.JoinAsync(session.Code, invited[i % invited.Length].Id, $"观众 {i}", 1);
            var client = await LiveClient.ConnectAsync(url, joined.ParticipantToken);
            viewers.Add((client, url, (await client.WaitForAsync<SessionSnapshot>(_ => true)).Slides.Version));
        }

        try
        {
            // An instance learns where a stream stands from the first of its events it delivers.
            var first = await hostOnA.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 30);
            foreach (var (viewer, _, _) in viewers)
            {
                await viewer.WaitForAsync<PageChanged>(p => p.Version == first.Version);
            }

            var releasedBefore = new Dictionary<Uri, double>
            {
                [hubs.A.BaseAddress] = await GapReleasesAsync(hubs.A.BaseAddress),
                [hubs.B.BaseAddress] = await GapReleasesAsync(hubs.B.BaseAddress),
            };

            async Task<long> TurnAsync(LiveClient host, int offset)
            {
                long last = 0;
                // 1 + 2 × 9 changes: inside the host's burst of hub calls (HubCallRateFilter.Burst, 20).
                for (var i = 0; i < 9; i++)
                {
                    last = Math.Max(last, (await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 2 + ((i + offset) % 28))).Version);
                }

                return last;
            }

            var turned = await Task.WhenAll(TurnAsync(hostOnA, 0), TurnAsync(presenterOnB, 7));
            var final = turned.Max();
            foreach (var (viewer, hub, from) in viewers)
            {
                // The first change, then every one of the 18, each exactly once.
                var expected = Enumerable.Range((int)from + 1, (int)(final - from)).Select(v => (long)v).ToArray();
                await viewer.WaitForAsync<PageChanged>(_ => viewer.Received.OfType<PageChanged>().Count() >= expected.Length);
                var versions = viewer.Received.OfType<PageChanged>().Select(p => p.Version).ToArray();
                Assert.Equal(expected, versions.Order());
                if (versions.SequenceEqual(expected))
                {
                    continue;
                }

                // In the order they were committed, unless the other instance's event came later than the
                // ordering wait (LocalFirstLifetimeManager.GapWait, 200 ms: a bound, not a promise; a loaded
                // machine has made Redis that late once). Then the instance went on without it and says so in
                // its metrics; without the ordering, events come out of order with nothing counted.
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (await GapReleasesAsync(hub) <= releasedBefore[hub])
                {
                    Assert.True(DateTime.UtcNow < deadline,
                        $"Out of order on {hub} with no event released after the ordering wait: [{string.Join(", ", versions)}]");
                    await Task.Delay(200);
                }
            }
        }
        finally
        {
            foreach (var (viewer, _, _) in viewers)
            {
                await viewer.DisposeAsync();
            }
        }
    }

    private static async Task<double> GapReleasesAsync(Uri hub) =>
        Prometheus.Find(await Prometheus.ScrapeAsync(hub), "liveexchange_order_gap_releases_total");

    [Fact]
    public async Task Host_on_A_and_viewers_on_B_see_the_same_session()
    {
        var (session, invited) = await _onA.ScheduleAsync();
        Assert.Equal(HttpStatusCode.Created, (await _onA.UploadDeckAsync(session, DemoSession.SampleDeck(5))).StatusCode);
        await using var host = await LiveClient.ConnectAsync(hubs.A.BaseAddress, session.HostToken);

        // Joined through B's HTTP API, connected to B's hub.
        var j1 = await _onB.JoinAsync(session.Code, invited[0].Id, "李华", 6);
        var j2 = await _onB.JoinAsync(session.Code, invited[1].Id, "赵敏", 3);
        await using var v1 = await LiveClient.ConnectAsync(hubs.B.BaseAddress, j1.ParticipantToken);
        await using var v2 = await LiveClient.ConnectAsync(hubs.B.BaseAddress, j2.ParticipantToken);

        // Page changes from A reach B.
        await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 2);
        var last = await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 4);
        foreach (var v in new[] { v1, v2 })
        {
            await v.WaitForAsync<PageChanged>(p => p.Page == 2);
            var seen = await v.WaitForAsync<PageChanged>(p => p.Page == 4);
            Assert.Equal(last.Version, seen.Version);
        }

        // A question asked on B reaches the host on A and the other viewer; a vote on B likewise.
        var asked = await v1.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "社区封闭管理期间，志愿者从哪里招募？", (string?)null, false);
        await host.WaitForAsync<QuestionAsked>(q => q.Question.Id == asked.Id && q.Question.Text == asked.Text);
        await v2.WaitForAsync<QuestionAsked>(q => q.Question.Id == asked.Id);
        await v2.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), asked.Id);
        await host.WaitForAsync<VotesChanged>(v => v.Counts.Any(c => c.QuestionId == asked.Id && c.Votes == 1));
        await v1.WaitForAsync<VotesChanged>(v => v.Counts.Any(c => c.QuestionId == asked.Id && c.Votes == 1));
        // A retried vote (after a reconnect, say) is the same vote: its count, no error.
        var twice = await v2.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), asked.Id);
        Assert.Equal(1, twice.Votes);

        // A late joiner on B, which never saw the changes happen, starts on the current page with the question.
        var j3 = await _onB.JoinAsync(session.Code, invited[2].Id, "孙丽", 2);
        await using var late = await LiveClient.ConnectAsync(hubs.B.BaseAddress, j3.ParticipantToken);
        var snapshot = await late.WaitForAsync<SessionSnapshot>(_ => true);
        Assert.Equal(4, snapshot.Slides.CurrentPage);
        Assert.Equal(1, Assert.Single(snapshot.Questions.Questions).Votes);
        Assert.Equal(last.Version, snapshot.Slides.Version); // Each stream counts its own changes:
        Assert.Equal(1, snapshot.Questions.Version);          // one question; votes are counts, not versioned changes.

        // A viewer on B calling a host method is refused; the page stays.
        var refused = await Assert.ThrowsAsync<HubException>(() => late.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 1));
        Assert.Contains("[host_only]", refused.Message);
        Assert.Equal(4, (await host.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot))).Slides.CurrentPage);

        // Attendance knows which instance served each connection.
        await using var db = new NpgsqlConnection(hubs.Database);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "select p.role, i.instance_id from attendance_intervals i join participants p on p.id = i.participant_id where i.session_id = @s order by i.id", db);
        cmd.Parameters.AddWithValue("s", session.Id);
        var rows = new List<(string, string)>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        Assert.Equal([("host", "A"), ("viewer", "B"), ("viewer", "B"), ("viewer", "B")], rows);
    }

    [Fact]
    public async Task The_organiser_key_and_tokens_work_on_either_instance()
    {
        var (session, invited) = await _onA.ScheduleAsync();
        using var organiserOnB = _onB.Organiser();
        var sessions = await organiserOnB.GetFromJsonAsync<LiveExchange.Hub.Sessions.SessionScheduled[]>("/api/sessions", Api.Json);
        Assert.Contains(sessions!, s => s.Code == session.Code);

        var joined = await _onA.JoinAsync(session.Code, invited[0].Id, "李华");
        using var viewerOnB = _onB.Client(joined.ParticipantToken);
        var mine = await viewerOnB.GetFromJsonAsync<LiveExchange.Hub.Sessions.MySession>("/api/session", Api.Json);
        Assert.Equal(session.Id, mine!.SessionId);
        Assert.Equal(ParticipantRoles.Viewer, mine.Role);

        // These processes run as Production: a body that is not valid JSON still gets a ProblemDetails with a code.
        using var anyone = _onB.Client();
        using var broken = new StringContent("{\"code\": \"ABCDEF\", \"headcount\": \"many\"", System.Text.Encoding.UTF8, "application/json");
        await Api.AssertProblemAsync(await anyone.PostAsync("/api/join", broken), HttpStatusCode.BadRequest, "validation");
    }
}

/// <summary>Two deployments on one Redis, kept apart by their channel prefixes, though their session ids are equal.</summary>
public sealed class SharedRedisTests
{
    [Fact]
    public async Task Deployments_sharing_a_Redis_do_not_see_each_others_sessions()
    {
        async Task<HubProcess> StartAsync(string name) => await HubProcess.StartAsync(name, await TestServers.FreshHubSettingsAsync());
        await using var first = await StartAsync("first");
        await using var second = await StartAsync("second");

        var onFirst = new Api(first.BaseAddress);
        var onSecond = new Api(second.BaseAddress);
        var (a, invitedA) = await onFirst.ScheduleAsync();
        var (b, invitedB) = await onSecond.ScheduleAsync();
        Assert.Equal(a.Id, b.Id); // Fresh databases: both are session 1, so both use group "session:1".
        await onFirst.UploadDeckAsync(a, DemoSession.SampleDeck(3));
        await onSecond.UploadDeckAsync(b, DemoSession.SampleDeck(3));

        await using var host = await LiveClient.ConnectAsync(first.BaseAddress, a.HostToken);
        await using var viewerA = await LiveClient.ConnectAsync(first.BaseAddress, (await onFirst.JoinAsync(a.Code, invitedA[0].Id, "李华")).ParticipantToken);
        await using var viewerB = await LiveClient.ConnectAsync(second.BaseAddress, (await onSecond.JoinAsync(b.Code, invitedB[0].Id, "赵敏")).ParticipantToken);

        await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 3);
        await viewerA.WaitForAsync<PageChanged>(p => p.Page == 3);
        await Task.Delay(500);
        Assert.Empty(viewerB.Received.OfType<PageChanged>());
    }
}

/// <summary>An instance that dies leaves no disconnects behind; attendance must not count its viewers as present for ever.</summary>
public sealed class InstanceCrashTests
{
    [Fact]
    public async Task Intervals_on_a_killed_instance_end_at_its_last_heartbeat()
    {
        var settings = await TestServers.FreshHubSettingsAsync();
        settings["Attendance:InstanceTimeoutSeconds"] = "2";
        await using var survivor = await HubProcess.StartAsync("survivor", settings);
        var doomed = await HubProcess.StartAsync("doomed", settings);
        var api = new Api(survivor.BaseAddress);
        var (session, invited) = await api.ScheduleAsync();
        var joined = await api.JoinAsync(session.Code, invited[0].Id, "李华");
        var viewer = await LiveClient.ConnectAsync(doomed.BaseAddress, joined.ParticipantToken);
        await Task.Delay(1500);

        await doomed.DisposeAsync(); // Killed: no OnDisconnectedAsync, no closing update.
        await Task.Delay(3500);

        using var organiser = api.Organiser();
        var rows = await organiser.GetFromJsonAsync<LiveExchange.Hub.Attendance.ParticipantAttendance[]>(
            $"/api/sessions/{session.Id}/attendance", Api.Json);
        var row = Assert.Single(rows!);
        Assert.False(row.Connected);
        Assert.NotNull(row.LastLeftAt);
        Assert.InRange(row.SecondsPresent, 0, 3); // Up to the last heartbeat, not the 5 s until now.
        await viewer.DisposeAsync();
    }
}

/// <summary>With no Organiser:Key, the first start makes one, keeps it in the database and prints the organiser link.</summary>
public sealed partial class GeneratedOrganiserKeyTests
{
    [Fact]
    public async Task Two_instances_without_a_configured_key_print_the_same_working_organiser_link()
    {
        var settings = await TestServers.FreshHubSettingsAsync(organiserKey: false);
        await using var first = await HubProcess.StartAsync("first", settings);
        await using var second = await HubProcess.StartAsync("second", settings);

        async Task<string> PrintedKeyAsync(HubProcess hub)
        {
            for (var i = 0; i < 50 && !OrganiserLink().IsMatch(hub.Output); i++)
            {
                await Task.Delay(100);
            }

            var match = OrganiserLink().Match(hub.Output);
            Assert.True(match.Success, hub.Output);
            Assert.Equal(hub.BaseAddress.ToString().TrimEnd('/'), match.Groups[1].Value);
            return match.Groups[2].Value;
        }

        var key = await PrintedKeyAsync(first);
        Assert.Equal(key, await PrintedKeyAsync(second));
        using var organiser = new HttpClient { BaseAddress = second.BaseAddress };
        organiser.DefaultRequestHeaders.Authorization = new("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await organiser.GetAsync("/api/agencies")).StatusCode);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"Organiser page \(keep this link private\): (http://127\.0\.0\.1:\d+)/organiser\.html#key=([A-Za-z0-9_-]+)")]
    private static partial System.Text.RegularExpressions.Regex OrganiserLink();
}
