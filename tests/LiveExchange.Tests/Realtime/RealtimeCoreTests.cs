using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using LiveExchange.Bench;
using LiveExchange.Hub.Demo;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;

namespace LiveExchange.Tests.Realtime;

/// <summary>
/// Two hub processes on one PostgreSQL and Redis, and one on its own as the embedded default runs
/// (SQLite, in-process messaging: there a group send used to wait for every connection's write). All with
/// a short stall limit for dropping stuck clients.
/// </summary>
public sealed class CoreInstances : IAsyncLifetime
{
    public const int StallSeconds = 4;

    private readonly string _sqlite = TestServers.NewSqliteFile();

    public HubProcess A { get; private set; } = null!;

    public HubProcess B { get; private set; } = null!;

    public HubProcess Single { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var limits = new Dictionary<string, string>
        {
            ["Realtime:Outbox:StallSeconds"] = StallSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Only the stall decides here: the bytes a stuck client leaves unread stay far below this.
            ["Realtime:Outbox:MaxBytes"] = (256 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Realtime:Outbox:SocketSendBufferBytes"] = "16384",
            ["Joining:PerMinutePerAddress"] = "1000",
        };
        var settings = await TestServers.FreshHubSettingsAsync();
        foreach (var (key, value) in limits)
        {
            settings[key] = value;
        }

        var single = new Dictionary<string, string>(limits)
        {
            ["ConnectionStrings:Sqlite"] = $"Data Source={_sqlite}",
            ["Organiser:Key"] = ExchangeApp.OrganiserKey,
        };
        var a = HubProcess.StartAsync("A", settings);
        var b = HubProcess.StartAsync("B", settings);
        var s = HubProcess.StartAsync("single", single);
        (A, B, Single) = (await a, await b, await s);
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Single.DisposeAsync();
        TestServers.DeleteSqliteFile(_sqlite);
    }
}

public sealed class RealtimeCoreTests(CoreInstances hubs) : IClassFixture<CoreInstances>
{
    private readonly Api _onA = new(hubs.A.BaseAddress);
    private readonly Api _onB = new(hubs.B.BaseAddress);

    [Fact]
    public Task A_viewer_that_stops_reading_holds_back_no_one_and_is_dropped_on_one_instance() =>
        StalledViewerScenario(hubs.Single, hubs.Single);

    [Fact]
    public Task A_viewer_that_stops_reading_holds_back_no_one_and_is_dropped_across_instances() =>
        StalledViewerScenario(hubs.A, hubs.B);

    /// <summary>The host on <paramref name="a"/>; the stuck viewer and one reading viewer on <paramref name="b"/>, another on <paramref name="a"/>.</summary>
    private async Task StalledViewerScenario(HubProcess a, HubProcess b)
    {
        var apiA = new Api(a.BaseAddress);
        var apiB = new Api(b.BaseAddress);
        var (session, invited) = await apiA.ScheduleAsync();
        await apiA.UploadDeckAsync(session, DemoSession.SampleDeck(5));
        // A busy session: 120 long questions make every snapshot about 200 KB.
        for (var i = 0; i < 24; i++)
        {
            var asker = await apiA.JoinAsync(session.Code, invited[i % invited.Length].Id, $"提问者{i}");
            await using var client = await LiveClient.ConnectAsync(a.BaseAddress, asker.ParticipantToken);
            for (var q = 0; q < 5; q++)
            {
                await client.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), $"第{i}-{q}个问题：" + new string('问', 280), (string?)null, false);
            }
        }

        await using var host = await LiveClient.ConnectAsync(a.BaseAddress, session.HostToken);
        var onB = await apiB.JoinAsync(session.Code, invited[0].Id, "同一实例的观众");
        var onA = await apiA.JoinAsync(session.Code, invited[1].Id, "另一实例的观众");
        await using var viewerOnB = await LiveClient.ConnectAsync(b.BaseAddress, onB.ParticipantToken);
        await using var viewerOnA = await LiveClient.ConnectAsync(a.BaseAddress, onA.ParticipantToken);

        // Warm both paths up, so the measurement below is not of a cold start.
        for (var n = 0; n < 3; n++)
        {
            var warm = await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), n + 2);
            await viewerOnB.WaitForAsync<PageChanged>(p => p.Version == warm.Version);
        }

        // The hostile viewer, on B: asks for ten snapshots (megabytes) through a tiny receive window, then never reads.
        var stuck = await apiB.JoinAsync(session.Code, invited[2].Id, "不读取的观众");
        using var stalled = await StalledClient.ConnectAsync(b.BaseAddress, stuck.ParticipantToken);
        for (var i = 0; i < 10; i++)
        {
            await stalled.SendAsync($$"""{"type":1,"invocationId":"{{i}}","target":"GetSnapshot","arguments":[]}""");
        }

        await Task.Delay(500);

        // While it hangs, the host turns 25 pages, 5 a second; each reaches both reading viewers promptly.
        // "Promptly" is a bound far from both sides: on this busy machine a change takes tens of
        // milliseconds, and before each connection had an outbox it waited for the stuck one's
        // transport to time out (10 s) or its buffers to drain.
        var latencies = new List<double>();
        for (var n = 0; n < 25; n++)
        {
            var clock = Stopwatch.StartNew();
            var change = await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), n % 4 + 2);
            await Task.WhenAll(
                viewerOnB.WaitForAsync<PageChanged>(p => p.Version == change.Version, 15_000),
                viewerOnA.WaitForAsync<PageChanged>(p => p.Version == change.Version, 15_000));
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(200);
        }

        Assert.True(latencies.Max() < 3_000, $"page changes reached both viewers in {string.Join(", ", latencies.Select(l => l.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))} ms");

        // The stuck viewer is dropped once it has taken nothing for the stall limit; it is no longer present.
        using var organiser = apiA.Organiser();
        var deadline = DateTime.UtcNow.AddSeconds(CoreInstances.StallSeconds + 10);
        LiveExchange.Hub.Attendance.ParticipantAttendance? row = null;
        while (DateTime.UtcNow < deadline)
        {
            var rows = await organiser.GetFromJsonAsync<LiveExchange.Hub.Attendance.ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json);
            row = rows!.Single(r => r.DisplayName == "不读取的观众");
            if (!row.Connected)
            {
                break;
            }

            await Task.Delay(500);
        }

        Assert.False(row!.Connected, "the viewer that stopped reading was not dropped");
        Assert.True(viewerOnB.Connection.State == Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected,
            $"the reading viewer on B (participant {(await viewerOnB.WaitForAsync<SessionSnapshot>(_ => true)).MyParticipantId}) lost its connection: {viewerOnB.Connection.State}\n{b.Output}");
    }

    [Fact]
    public async Task An_event_for_one_participant_reaches_all_its_connections_on_both_instances_and_no_one_else()
    {
        var (session, invited) = await _onA.ScheduleAsync();
        await using var host = await LiveClient.ConnectAsync(hubs.A.BaseAddress, session.HostToken);
        var speaker = await _onA.JoinAsync(session.Code, invited[0].Id, "李华");
        var other = await _onA.JoinAsync(session.Code, invited[1].Id, "赵敏");
        await using var speakerOnA = await LiveClient.ConnectAsync(hubs.A.BaseAddress, speaker.ParticipantToken);
        await using var speakerOnB = await LiveClient.ConnectAsync(hubs.B.BaseAddress, speaker.ParticipantToken);
        await using var otherOnB = await LiveClient.ConnectAsync(hubs.B.BaseAddress, other.ParticipantToken);
        var before = await otherOnB.WaitForAsync<SessionSnapshot>(_ => true);

        // A raised hand: the host sees it; the viewer's own two screens learn their state; the other viewer nothing.
        var raised = await speakerOnB.InvokeAsync<MyStage>(nameof(IExchangeHub.RaiseHand), true);
        Assert.True(raised.HandRaised);
        var hands = await host.WaitForAsync<HandsState>(h => h.Raised.Count == 1);
        Assert.Equal("李华", hands.Raised[0].DisplayName);
        await speakerOnA.WaitForAsync<MyStage>(m => m.HandRaised);
        await speakerOnB.WaitForAsync<MyStage>(m => m.HandRaised);

        await host.InvokeAsync<object>(nameof(IExchangeHub.BringOnStage), hands.Raised[0].ParticipantId);
        await speakerOnA.WaitForAsync<MyStage>(m => m.OnStage);
        await speakerOnB.WaitForAsync<MyStage>(m => m.OnStage);
        var stage = await otherOnB.WaitForAsync<StageState>(s => s.OnStage.Count == 1); // The stage is for everyone.
        Assert.Equal("李华", stage.OnStage[0].DisplayName);
        await host.WaitForAsync<HandsState>(h => h.Raised.Count == 0);

        await Task.Delay(500);
        Assert.Empty(otherOnB.Received.OfType<MyStage>());
        Assert.Empty(otherOnB.Received.OfType<HandsState>());
        Assert.Empty(speakerOnA.Received.OfType<HandsState>());
        var refused = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => otherOnB.InvokeAsync<HandsState>(nameof(IExchangeHub.GetHands)));
        Assert.Contains("[host_only]", refused.Message);

        // Streams: the hand moved only the hands and stage streams; slides and questions need no resync.
        var after = await otherOnB.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot));
        Assert.Equal(before.Slides.Version, after.Slides.Version);
        Assert.Equal(before.Questions.Version, after.Questions.Version);
        Assert.Equal(before.Stage.Version + 1, after.Stage.Version);
        Assert.Null(after.Hands);
    }
}
