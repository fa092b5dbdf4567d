using System.Net;
using System.Net.Http.Json;
using LiveExchange.Bench;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Video;

[Collection(VideoCollection.Name)]
public sealed class VideoInBrowserTests(VideoFixture fixture) : IClassFixture<VideoFixture>
{
    private readonly Api _onA = new(fixture.A.BaseAddress);
    private readonly Api _onB = new(fixture.B.BaseAddress);

    [Fact]
    public async Task The_host_goes_live_and_viewers_on_both_instances_see_and_hear_it_at_the_quality_they_chose()
    {
        var log = new List<string>();
        var (session, invited) = await _onA.ScheduleAsync();
        var host = await fixture.HostPageAsync(fixture.A, session.HostLink, log);
        var j1 = await _onA.JoinAsync(session.Code, invited[0].Id, "李华", 6);
        var j2 = await _onB.JoinAsync(session.Code, invited[1].Id, "赵敏", 3);
        var onA = await fixture.ViewerPageAsync(fixture.A, session.Code, j1.ParticipantToken, log, "viewer A");
        var onB = await fixture.ViewerPageAsync(fixture.B, session.Code, j2.ParticipantToken, log, "viewer B");
        await Expect(onA.Locator("#video-notice")).ToContainTextAsync("直播尚未开始");

        await host.Locator("#go-live").ClickAsync();
        await Expect(host.Locator("#live-badge")).ToHaveAttributeAsync("data-live", "live", LiveWithin);
        await Expect(onB.Locator("#live-badge")).ToHaveAttributeAsync("data-live", "live", LiveWithin);

        // Both viewers decode frames (rising) and receive sound.
        foreach (var viewer in new[] { onA, onB })
        {
            var first = await viewer.UntilReceivingAsync(r => r.Length == 1 && r[0].FramesDecoded > 0 && r[0].VideoWidth > 0 && r[0].AudioPackets > 0, "picture and sound", log);
            await viewer.UntilReceivingAsync(r => r[0].FramesDecoded > first[0].FramesDecoded + 10 && r[0].AudioPackets > first[0].AudioPackets + 10, "frames and sound keep coming", log);
        }

        // The host and the organiser see who receives.
        await Expect(host.Locator("#reception")).ToContainTextAsync("2 / 2");
        using (var organiser = _onA.Organiser())
        {
            var summary = await organiser.GetFromJsonAsync<ReceptionSummary>($"/api/sessions/{session.Id}/reception", Api.Json);
            Assert.Equal(2, summary!.AgenciesReceiving);
        }

        // Low quality: the smallest simulcast layer, narrower than what the automatic viewer gets.
        await onB.Locator("#quality").SelectOptionAsync("low");
        var auto = await onA.UntilReceivingAsync(r => r[0].Width >= 320, "the automatic viewer gets a large layer", log);
        await onB.UntilReceivingAsync(r => r[0].Quality == "low" && r[0].Width > 0 && r[0].Width < auto[0].Width, "the low-quality viewer gets a smaller layer", log);

        // Sound only: no picture arrives at all, the sound does.
        await onB.Locator("#quality").SelectOptionAsync("audio");
        var audio = await onB.UntilReceivingAsync(r => r.Length == 1 && r[0].Quality == "audio" && r[0].AudioPackets > 0, "sound only", log);
        await onB.UntilReceivingAsync(r => r[0].AudioPackets > audio[0].AudioPackets + 10, "sound keeps coming", log);
        Assert.All(await onB.ReceivingAsync(), r => Assert.Equal(0, r.VideoBytes));

        // The host reloads its page: viewers are not left on a frozen picture; the page goes live again by itself.
        var feedBefore = (await onA.ReceivingAsync())[0].FeedId;
        await host.ReloadAsync();
        await onA.UntilReceivingAsync(r => r.Length == 1 && r[0].FeedId != feedBefore && r[0].FramesDecoded > 5, "the host's video resumes after a reload", log);
        await Expect(onA.Locator("#live-badge")).ToHaveAttributeAsync("data-live", "live", LiveWithin);
    }

    [Fact]
    public async Task A_raised_hand_reaches_the_host_who_brings_the_agency_on_stage_and_everyone_sees_it()
    {
        var log = new List<string>();
        var (session, invited) = await _onA.ScheduleAsync();
        var host = await fixture.HostPageAsync(fixture.A, session.HostLink, log);
        var speaker = await _onB.JoinAsync(session.Code, invited[0].Id, "李华", 6);
        var watcher = await _onA.JoinAsync(session.Code, invited[1].Id, "赵敏", 3);
        var speakerPage = await fixture.ViewerPageAsync(fixture.B, session.Code, speaker.ParticipantToken, log, "speaker");
        var watcherPage = await fixture.ViewerPageAsync(fixture.A, session.Code, watcher.ParticipantToken, log, "watcher");

        // A viewer not on stage cannot publish, whatever it sends.
        await using (var rogue = await LiveClient.ConnectAsync(fixture.A.BaseAddress, watcher.ParticipantToken))
        {
            var refused = await Assert.ThrowsAsync<HubException>(() =>
                rogue.InvokeAsync<PublishAnswer>(nameof(IExchangeHub.Publish), new PublishOffer(FeedKinds.Camera, "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n")));
            Assert.Contains("[not_on_stage]", refused.Message);
            var screen = await Assert.ThrowsAsync<HubException>(() =>
                rogue.InvokeAsync<PublishAnswer>(nameof(IExchangeHub.Publish), new PublishOffer(FeedKinds.Screen, "v=0\r\n")));
            Assert.Contains("[host_only]", screen.Message);
        }

        await speakerPage.Locator("#raise-hand").ClickAsync();
        await Expect(speakerPage.Locator("#stage-status")).ToBeVisibleAsync();
        var hand = host.Locator("#hands li");
        await Expect(hand).ToContainTextAsync("李华");
        await Expect(watcherPage.Locator("#stage-status")).ToBeHiddenAsync();

        await hand.Locator("button").ClickAsync();
        await Expect(host.Locator("#on-stage li")).ToContainTextAsync("李华");
        await Expect(host.Locator("#hands li")).ToHaveCountAsync(0);

        // The speaker's browser publishes its camera; the other viewer and the host decode it.
        await watcherPage.UntilReceivingAsync(r => r.Any(x => x.FramesDecoded > 5 && x.AudioPackets > 0), "the on-stage agency's picture and sound", log);
        await host.UntilReceivingAsync(r => r.Any(x => x.FramesDecoded > 5), "the host sees the on-stage agency", log);

        // Off stage: the feed stops for everyone.
        await host.Locator("#on-stage li button").ClickAsync();
        await watcherPage.UntilReceivingAsync(r => r.Length == 0, "the feed is gone after leaving the stage", log);
        await Expect(speakerPage.Locator("#stage-status")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Janus_refuses_anyone_who_comes_to_it_directly_without_the_hub()
    {
        // A live session, so its room exists.
        var log = new List<string>();
        var (session, invited) = await _onA.ScheduleAsync();
        var host = await fixture.HostPageAsync(fixture.A, session.HostLink, log);
        await host.Locator("#go-live").ClickAsync();
        await Expect(host.Locator("#live-badge")).ToHaveAttributeAsync("data-live", "live", LiveWithin);
        var room = LiveExchange.Hub.Video.VideoSettingsSource.RoomOf(fixture.ChannelPrefix, session.Id);

        using var http = new HttpClient();
        async Task<System.Text.Json.Nodes.JsonObject> PostAsync(string path, object body) =>
            (await (await http.PostAsJsonAsync(fixture.Janus.Url + path, body)).Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!;

        // A browser has no API secret: Janus refuses before anything else.
        var refused = await PostAsync("", new { janus = "create", transaction = "t1" });
        Assert.Equal("error", (string?)refused["janus"]);
        Assert.Equal(403, (int)refused["error"]!["code"]!);

        // Even with the API secret, the room's PIN keeps an outsider from joining it as a publisher.
        var sessionId = (long)(await PostAsync("", new { janus = "create", transaction = "t2", apisecret = JanusServer.ApiSecret }))["data"]!["id"]!;
        var handle = (long)(await PostAsync($"/{sessionId}", new { janus = "attach", plugin = "janus.plugin.videoroom", transaction = "t3", apisecret = JanusServer.ApiSecret }))["data"]!["id"]!;
        var exists = await PostAsync($"/{sessionId}/{handle}", new { janus = "message", transaction = "t4", apisecret = JanusServer.ApiSecret, body = new { request = "exists", room } });
        Assert.True((bool)exists["plugindata"]!["data"]!["exists"]!);
        object[] joins = [new { request = "join", ptype = "publisher", room }, new { request = "join", ptype = "publisher", room, pin = "guess" }];
        foreach (var body in joins)
        {
            var join = await PostAsync($"/{sessionId}/{handle}", new { janus = "message", transaction = Guid.NewGuid().ToString("N"), apisecret = JanusServer.ApiSecret, body });
            // Asynchronous: the answer comes on the long poll.
            Assert.Equal("ack", (string?)join["janus"]);
            var events = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync($"{fixture.Janus.Url}/{sessionId}?maxev=5&apisecret={JanusServer.ApiSecret}"))!.AsArray();
            var error = events.Select(e => e!["plugindata"]?["data"]?["error_code"]).First(c => c is not null);
            Assert.Contains((int)error!, new[] { 429, 433 }); // Missing PIN, wrong PIN.
        }
    }

    [Fact]
    public async Task When_Janus_stops_the_pages_say_video_is_interrupted_slides_and_questions_go_on_and_video_comes_back()
    {
        var log = new List<string>();
        var (session, invited) = await _onA.ScheduleAsync();
        Assert.Equal(HttpStatusCode.Created, (await _onA.UploadDeckAsync(session, LiveExchange.Hub.Demo.DemoSession.SampleDeck(3))).StatusCode);
        var host = await fixture.HostPageAsync(fixture.A, session.HostLink, log);
        var joined = await _onB.JoinAsync(session.Code, invited[0].Id, "李华", 6);
        var viewer = await fixture.ViewerPageAsync(fixture.B, session.Code, joined.ParticipantToken, log, "viewer");
        await host.Locator("#go-live").ClickAsync();
        await viewer.UntilReceivingAsync(r => r.Length == 1 && r[0].FramesDecoded > 5, "video before the stop", log);

        await fixture.Janus.StopAsync();
        try
        {
            await Expect(viewer.Locator("#live-badge")).ToHaveAttributeAsync("data-live", "interrupted");
            await Expect(viewer.Locator("#video-notice")).ToContainTextAsync("中断");
            await Expect(host.Locator("#publish-status")).ToBeVisibleAsync();

            // Slides, questions and attendance carry on without the media server.
            await host.Locator("#next-page").ClickAsync();
            await Expect(viewer.Locator("#page-indicator")).ToHaveAttributeAsync("data-page", "2");
            await viewer.Locator("#question-text").FillAsync("视频断了还能提问吗？");
            await viewer.Locator("#ask-question").ClickAsync();
            await Expect(host.Locator("#questions .question-text")).ToHaveTextAsync("视频断了还能提问吗？");
            using var organiser = _onA.Organiser();
            var attendance = await organiser.GetFromJsonAsync<LiveExchange.Hub.Attendance.ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json);
            Assert.Contains(attendance!, a => a.Connected && a.DisplayName == "李华");
        }
        finally
        {
            await fixture.Janus.StartAsync();
        }

        // Janus is back: the host page publishes again by itself, and the viewer picks the new feed up.
        await Expect(viewer.Locator("#live-badge")).ToHaveAttributeAsync("data-live", "live", new() { Timeout = 30_000 }); // Janus back, the hubs reconnect (up to 3 s apart), the host republishes (every 6 s).
        var back = await viewer.UntilReceivingAsync(r => r.Length == 1 && r[0].FramesDecoded > 0, "video after Janus is back", log, 40_000);
        await viewer.UntilReceivingAsync(r => r.Length == 1 && r[0].FeedId == back[0].FeedId && r[0].FramesDecoded > back[0].FramesDecoded + 10, "frames keep coming after the restart", log);
    }

    /// <summary>
    /// Going live is a chain (camera, offer, hub, Janus room, ICE, DTLS, first media, the stage stream) that
    /// takes a second or two here, more on the first publish of a cold process under parallel tests.
    /// </summary>
    private static readonly LocatorAssertionsToHaveAttributeOptions LiveWithin = new() { Timeout = 15_000 };

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
