using System.Net;
using System.Net.Http.Json;
using System.Text;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Demo;
using LiveExchange.Hub.Sessions;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using LiveExchange.Hub.Joining;

namespace LiveExchange.Tests.Scenarios;

/// <summary>
/// The model session's behaviour through HTTP and the hub. Every test here runs twice, once per
/// database (OnPostgres, OnSqlite): the same behaviour on both is the data layer's contract.
/// </summary>
public abstract class ExchangeBehaviour(ExchangeApp app)
{
    public const long TestDeckLimit = 200 * 1024;

    /// <summary>Decks:MaxExpandedBytes in the fixtures: low, so the bombs here stay small and quick.</summary>
    public const long TestExpandedLimit = 32L * 1024 * 1024;

    /// <summary>Low fair-use limits in the fixtures, so the tests reach them quickly.</summary>
    public static readonly Dictionary<string, string> FairUseLimits = new()
    {
        ["Joining:ParticipantsPerAddress"] = "12",
        ["Questions:VotesPerAgency"] = "3",
        ["Questions:PerAgency"] = "4",
    };

    private readonly Api _api = new(app.BaseAddress);

    [Fact]
    public async Task An_ended_session_refuses_joins_and_live_actions_closes_attendance_and_still_exports()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 3);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        Assert.Equal(HttpStatusCode.Created, (await _api.UploadDeckAsync(session, DemoSession.SampleDeck(3))).StatusCode);

        // The host ends it (a viewer may not).
        using var asViewer = _api.Client(joined.ParticipantToken);
        await Api.AssertProblemAsync(await asViewer.PostAsync($"/api/sessions/{session.Id}/end", null), HttpStatusCode.Forbidden, "forbidden");
        using var asHost = _api.Client(session.HostToken);
        var ended = await asHost.PostAsync($"/api/sessions/{session.Id}/end", null);
        Assert.Equal(HttpStatusCode.OK, ended.StatusCode);
        Assert.Equal("ended", (await ended.Content.ReadFromJsonAsync<SessionScheduled>(Api.Json))!.State);

        // Everyone connected is told; attendance is closed for all of them.
        await viewer.WaitForAsync<SessionEnded>(e => e.SessionId == session.Id && e.Reason == "ended");
        await host.WaitForAsync<SessionEnded>(e => e.Reason == "ended");
        using var organiser = _api.Organiser();
        var attendance = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json))!;
        Assert.Equal(2, attendance.Length);
        Assert.All(attendance, a => Assert.False(a.Connected));

        // Nothing live works any more: calls, new connections, joins, uploads; each says why.
        var call = await Assert.ThrowsAsync<HubException>(() => host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 2));
        Assert.Contains("[session_ended]", call.Message);
        Assert.Contains("[session_ended]", await LiveClient.RefusalAsync(_api.BaseAddress, joined.ParticipantToken));
        using var anyone = _api.Client();
        await Api.AssertProblemAsync(
            await anyone.PostAsJsonAsync("/api/join", new { code = session.Code, agencyId = invited[1].Id, displayName = "赵敏", headcount = 1 }),
            HttpStatusCode.Gone, "session_ended");
        await Api.AssertProblemAsync(await _api.UploadDeckAsync(session, DemoSession.SampleDeck(2)), HttpStatusCode.Gone, "session_ended");
        var info = await anyone.GetFromJsonAsync<LiveExchange.Hub.Joining.JoinInfo>($"/api/join/{session.Code}", Api.Json);
        Assert.Equal("ended", info!.State);
        var mine = await asViewer.GetFromJsonAsync<MySession>("/api/session", Api.Json);
        Assert.Equal("ended", mine!.State);

        // The organiser can still export.
        var csv = await organiser.GetStringAsync($"/api/sessions/{session.Id}/attendance.csv?lang=zh");
        Assert.Contains("李华", csv);

        // A session whose planned end (plus the overrun) has passed ends by itself.
        var (past, pastInvited) = await _api.ScheduleAsync("昨天", DateTimeOffset.UtcNow.AddHours(-5), DateTimeOffset.UtcNow.AddHours(-3));
        await Api.AssertProblemAsync(
            await anyone.PostAsJsonAsync("/api/join", new { code = past.Code, agencyId = pastInvited[0].Id, displayName = "王芳", headcount = 1 }),
            HttpStatusCode.Gone, "session_ended");
    }

    [Fact]
    public async Task Joining_opens_an_hour_before_the_start_or_when_the_organiser_opens_it()
    {
        using var anyone = _api.Client();
        var (soon, soonInvited) = await _api.ScheduleAsync("半小时后", DateTimeOffset.UtcNow.AddMinutes(30), DateTimeOffset.UtcNow.AddHours(2));
        Assert.Equal("open", soon.State);
        await _api.JoinAsync(soon.Code, soonInvited[0].Id, "李华");

        var (later, laterInvited) = await _api.ScheduleAsync("三小时后", DateTimeOffset.UtcNow.AddHours(3), DateTimeOffset.UtcNow.AddHours(5));
        Assert.Equal("scheduled", later.State);
        var refused = await anyone.PostAsJsonAsync("/api/join", new { code = later.Code, agencyId = laterInvited[0].Id, displayName = "李华", headcount = 1 });
        var title = await Api.AssertProblemAsync(refused, HttpStatusCode.Conflict, "session_not_open");
        Assert.Contains(later.JoinOpensAt.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), title);

        using var organiser = _api.Organiser();
        var opened = await organiser.PostAsync($"/api/sessions/{later.Id}/open", null);
        Assert.Equal("open", (await opened.Content.ReadFromJsonAsync<SessionScheduled>(Api.Json))!.State);
        await _api.JoinAsync(later.Code, laterInvited[0].Id, "李华");
    }

    [Fact]
    public async Task One_address_makes_a_bounded_number_of_participants_agencies_get_a_fair_share_and_the_organiser_removes_stuffing()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var stuffer = new List<Joined>();
        for (var i = 0; i < 11; i++)
        {
            stuffer.Add(await _api.JoinAsync(session.Code, invited[0].Id, $"刷{i}", 500));
        }

        var honest = await _api.JoinAsync(session.Code, invited[1].Id, "王芳", 6);
        using var anyone = _api.Client();
        await Api.AssertProblemAsync(
            await anyone.PostAsJsonAsync("/api/join", new { code = session.Code, agencyId = invited[0].Id, displayName = "刷12", headcount = 500, consentVersion = 1 }),
            HttpStatusCode.TooManyRequests, "too_many_participants");
        // The same screen coming back is not a new participant, so it is not refused.
        await _api.JoinAsync(session.Code, invited[0].Id, "刷0", 500, stuffer[0].ParticipantToken);

        await using var honestClient = await LiveClient.ConnectAsync(_api.BaseAddress, honest.ParticipantToken);
        var question = await honestClient.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "志愿者怎么招募？", (string?)null, false);

        // One agency's screens give one question at most three votes here (ten by default).
        var stuffers = new List<LiveClient>();
        try
        {
            foreach (var s in stuffer.Take(5))
            {
                stuffers.Add(await LiveClient.ConnectAsync(_api.BaseAddress, s.ParticipantToken));
            }

            var votes = new List<string>();
            foreach (var c in stuffers)
            {
                try
                {
                    await c.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), question.Id);
                    votes.Add("ok");
                }
                catch (HubException e)
                {
                    votes.Add(e.Message.Contains("[agency_vote_limit]") ? "limit" : e.Message);
                }
            }

            Assert.Equal(["ok", "ok", "ok", "limit", "limit"], votes);

            // And at most four questions in the session here, however many screens ask.
            var asked = new List<string>();
            foreach (var c in stuffers)
            {
                try
                {
                    await c.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), $"刷屏问题 {asked.Count}", (string?)null, false);
                    asked.Add("ok");
                }
                catch (HubException e)
                {
                    asked.Add(e.Message.Contains("[agency_question_limit]") ? "limit" : e.Message);
                }
            }

            Assert.Equal(["ok", "ok", "ok", "ok", "limit"], asked);

            // The organiser sees where they came from, and removes one: its question and vote go for everyone.
            using var organiser = _api.Organiser();
            var participants = (await organiser.GetFromJsonAsync<LiveExchange.Hub.Participants.ParticipantEntry[]>(
                $"/api/sessions/{session.Id}/participants", Api.Json))!;
            var first = participants.Single(p => p.DisplayName == "刷0");
            Assert.Equal(12, first.ParticipantsFromAddress);
            // It had been brought on stage: removal takes it off for everyone too.
            await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
            await host.Connection.InvokeAsync(nameof(IExchangeHub.BringOnStage), first.Id);
            var onStage = await honestClient.WaitForAsync<StageState>(st => st.OnStage.Any(m => m.ParticipantId == first.Id));
            Assert.Equal(1, first.Questions);
            Assert.Equal(1, first.Votes);
            Assert.Equal(HttpStatusCode.NoContent, (await organiser.DeleteAsync($"/api/sessions/{session.Id}/participants/{first.Id}")).StatusCode);
            await stuffers[0].WaitForAsync<SessionEnded>(e => e.Reason == "removed");
            await honestClient.WaitForAsync<StageState>(st => st.Version > onStage.Version && st.OnStage.All(m => m.ParticipantId != first.Id));
            var changed = await honestClient.WaitForAsync<QuestionsState>(q => q.Questions.Count == 4);
            Assert.Equal(2, changed.Questions.Single(q => q.Id == question.Id).Votes);
            Assert.DoesNotContain(changed.Questions, q => q.Text == "刷屏问题 0");
            var state = await honestClient.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions));
            Assert.Equal(changed.Version, state.Version);
            Assert.Equal(2, state.Questions.Single(q => q.Id == question.Id).Votes);

            // Its screen can do nothing more, and it is not in the attendance.
            var after = await Assert.ThrowsAsync<HubException>(() => stuffers[0].InvokeAsync<SlidesState>(nameof(IExchangeHub.GetSlides)));
            Assert.Contains("[participant_removed]", after.Message);
            var attendance = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json))!;
            Assert.DoesNotContain(attendance, a => a.ParticipantId == first.Id);
        }
        finally
        {
            foreach (var c in stuffers)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_screen_removed_between_its_join_and_its_connect_is_refused_at_the_connect_and_leaves_no_interval()
    {
        // The join leaves this instance a copy of the viewer's token, which the connect authenticates from
        // instead of the database; whether that viewer may connect is still the database's answer.
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "王芳");
        using var organiser = _api.Organiser();
        var participant = (await organiser.GetFromJsonAsync<LiveExchange.Hub.Participants.ParticipantEntry[]>(
            $"/api/sessions/{session.Id}/participants", Api.Json))!.Single(p => p.DisplayName == "王芳");
        Assert.Equal(HttpStatusCode.NoContent, (await organiser.DeleteAsync($"/api/sessions/{session.Id}/participants/{participant.Id}")).StatusCode);

        Assert.Contains("[participant_removed]", await LiveClient.RefusalAsync(_api.BaseAddress, joined.ParticipantToken));
        // Refused again from the database (the first connect took the copy), and no interval was opened.
        Assert.Contains("[participant_removed]", await LiveClient.RefusalAsync(_api.BaseAddress, joined.ParticipantToken));
        var attendance = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json))!;
        Assert.DoesNotContain(attendance, a => a.ParticipantId == participant.Id);

        // Another viewer joined before the session was ended is refused at its connect too, with the reason.
        var late = await _api.JoinAsync(session.Code, invited[1].Id, "赵磊");
        Assert.Equal(HttpStatusCode.OK, (await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).StatusCode);
        Assert.Contains("[session_ended]", await LiveClient.RefusalAsync(_api.BaseAddress, late.ParticipantToken));
    }

    [Fact]
    public async Task A_screen_connecting_after_the_planned_end_and_its_overrun_is_refused_though_nobody_ended_the_session()
    {
        // Nobody presses "end": the session ends by its times (ends_at plus Sessions:OverrunMinutes).
        // The attendance open's insert decides this in SQL, so a screen that joined while the session
        // was live and connects only afterwards must be refused by it, with the reason, and no interval.
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "周红");
        using var organiser = _api.Organiser();
        var moved = await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}", new
        {
            title = "苏冀云牵手，社工e在线",
            description = "社工如何参与社区疫情防控",
            hostAgencyId = session.HostAgency.Id,
            invitedAgencyIds = invited.Select(a => a.Id).ToArray(),
            startsAt = LiveExchange.Bench.Cluster.LocalTime(DateTimeOffset.UtcNow.AddHours(-5)),
            endsAt = LiveExchange.Bench.Cluster.LocalTime(DateTimeOffset.UtcNow.AddHours(-3)),
            timeZone = "Asia/Shanghai",
        });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal("ended", (await moved.Content.ReadFromJsonAsync<SessionScheduled>(Api.Json))!.State);

        Assert.Contains("[session_ended]", await LiveClient.RefusalAsync(_api.BaseAddress, joined.ParticipantToken));
        var attendance = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json))!;
        Assert.DoesNotContain(attendance, a => a.DisplayName == "周红");
    }

    [Fact]
    public async Task The_reception_summary_counts_connected_screens_by_agency_and_state_and_forgets_screens_that_left()
    {
        // Three screens of one agency (playing, audio only, and one that never reported: idle), one of a
        // second agency (failed), one of a third that reported and then left: it is not counted.
        var (session, invited) = await _api.ScheduleAsync();
        var screens = new List<LiveClient>();
        try
        {
            async Task<LiveClient> ScreenAsync(long agencyId, string name, string? state)
            {
                var joined = await _api.JoinAsync(session.Code, agencyId, name);
                var client = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
                screens.Add(client);
                if (state is not null)
                {
                    await client.Connection.InvokeAsync(nameof(IExchangeHub.ReportReception), state);
                }

                return client;
            }

            await ScreenAsync(invited[0].Id, "一号屏", ReceptionStates.Playing);
            await ScreenAsync(invited[0].Id, "二号屏", ReceptionStates.AudioOnly);
            await ScreenAsync(invited[0].Id, "三号屏", null);
            await ScreenAsync(invited[1].Id, "四号屏", ReceptionStates.Failed);
            var gone = await ScreenAsync(invited[2].Id, "五号屏", ReceptionStates.Playing);
            using var organiser = _api.Organiser();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            ReceptionSummary summary;
            // Counted while it is there, so that its absence below means it was forgotten, not never seen.
            while (!(summary = (await organiser.GetFromJsonAsync<ReceptionSummary>($"/api/sessions/{session.Id}/reception", Api.Json))!)
                .Agencies.Contains(new AgencyReception(invited[2].Name, 1, 1, 0, 0, 0)))
            {
                Assert.True(DateTime.UtcNow < deadline, "The third agency's screen is not counted while it is connected.");
                await Task.Delay(100);
            }

            screens.Remove(gone);
            await gone.DisposeAsync();
            deadline = DateTime.UtcNow.AddSeconds(10);
            // The screen that left is closed in the attendance ledger by its disconnect, a moment after.
            while ((summary = (await organiser.GetFromJsonAsync<ReceptionSummary>($"/api/sessions/{session.Id}/reception", Api.Json))!)
                .Agencies.Any(a => a.AgencyName == invited[2].Name))
            {
                Assert.True(DateTime.UtcNow < deadline, "The screen that left is still counted.");
                await Task.Delay(100);
            }

            Assert.Equal(
                new[]
                {
                    new AgencyReception(invited[0].Name, 3, 1, 1, 0, 0),
                    new AgencyReception(invited[1].Name, 1, 0, 0, 0, 1),
                }.OrderBy(a => a.AgencyName, StringComparer.Ordinal),
                summary.Agencies.OrderBy(a => a.AgencyName, StringComparer.Ordinal));
            Assert.Equal(1, summary.AgenciesReceiving);
            Assert.Equal(2, summary.AgenciesWatching);

            // A viewer may not read it.
            using var asViewer = _api.Client((await _api.JoinAsync(session.Code, invited[1].Id, "六号屏")).ParticipantToken);
            Assert.Equal(HttpStatusCode.Forbidden, (await asViewer.GetAsync($"/api/sessions/{session.Id}/reception")).StatusCode);
        }
        finally
        {
            foreach (var screen in screens)
            {
                await screen.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Screens_opening_one_link_at_once_past_its_limit_get_exactly_the_limit_and_the_rest_a_reason()
    {
        // The attendance open counts a link's connections and opens one in one batch (on PostgreSQL an
        // implicit transaction, its first statement locking the participant's row): opened at once, one
        // link still gets exactly its limit, however the opens interleave.
        var limit = new AttendanceOptions().ConnectionsPerParticipant;
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "孙丽");
        var connections = new System.Collections.Concurrent.ConcurrentBag<HubConnection>();
        try
        {
            var outcomes = await Task.WhenAll(Enumerable.Range(0, limit + 3).Select(async _ =>
            {
                var connection = new HubConnectionBuilder()
                    .WithUrl(new Uri(_api.BaseAddress, ExchangeHubRoute.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(joined.ParticipantToken))
                    .Build();
                connections.Add(connection);
                var outcome = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                connection.On<SessionSnapshot>(nameof(IExchangeClient.Snapshot), _ => outcome.TrySetResult("connected"));
                connection.Closed += e =>
                {
                    outcome.TrySetResult(e?.Message ?? "closed without a reason");
                    return Task.CompletedTask;
                };
                try
                {
                    await connection.StartAsync();
                }
                catch (Exception e)
                {
                    outcome.TrySetResult(e.Message);
                }

                return await outcome.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }));

            Assert.Equal(limit, outcomes.Count(o => o == "connected"));
            Assert.All(outcomes.Where(o => o != "connected"), o => Assert.Contains("[too_many_connections]", o));
            using var organiser = _api.Organiser();
            var attendance = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json))!;
            Assert.Equal(limit, attendance.Single().Connections);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_question_sent_again_with_its_key_is_stored_once()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var key = Guid.NewGuid().ToString("N");
        var first = await viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "重试会重复吗？", key, false);
        var retried = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "重试会重复吗？", key, false)));
        Assert.All(retried, r => Assert.Equal(first.Id, r.Id));
        var state = await viewer.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions));
        Assert.Single(state.Questions);
        Assert.Equal(1, state.Version);
        var other = await viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "重试会重复吗？", Guid.NewGuid().ToString("N"), false);
        Assert.NotEqual(first.Id, other.Id);
        var bad = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "x", "not a key!", false));
        Assert.Contains("[validation]", bad.Message);
    }

    [Fact]
    public async Task Scheduling_returns_a_readable_code_and_links_and_only_organisers_may()
    {
        var (session, invited) = await _api.ScheduleAsync(startsAt: new DateTimeOffset(2030, 3, 16, 6, 0, 0, TimeSpan.Zero),
            endsAt: new DateTimeOffset(2030, 3, 16, 8, 0, 0, TimeSpan.Zero));

        Assert.Equal(6, session.Code.Length);
        Assert.All(session.Code, c => Assert.Contains(c, JoinCode.Alphabet));
        Assert.DoesNotContain(session.Code, c => "0O1IL".Contains(c));
        Assert.Equal($"/host.html#token={session.HostToken}", session.HostLink);
        Assert.Equal($"/?code={session.Code}", session.ViewerLink);
        Assert.Equal(TimeSpan.FromHours(8), session.StartsAt.Offset);
        Assert.Equal(new DateTime(2030, 3, 16, 14, 0, 0), session.StartsAt.DateTime);
        Assert.Equal("scheduled", session.State);
        Assert.Equal(new DateTime(2030, 3, 16, 13, 0, 0), session.JoinOpensAt.DateTime);
        Assert.Equal(3, session.InvitedAgencies.Length);

        // A code typed on a phone, in lower case with a space, finds the session.
        using var anyone = _api.Client();
        var typed = session.Code.ToLowerInvariant().Insert(3, " ");
        var info = await anyone.GetFromJsonAsync<LiveExchange.Hub.Joining.JoinInfo>($"/api/join/{Uri.EscapeDataString(typed)}");
        Assert.Equal(session.Id, info!.SessionId);
        Assert.Equal(invited.Select(a => a.Id), info.InvitedAgencies.Select(a => a.Id));

        // In 2030 it is not open yet: the join page is told when it opens, and a join is refused until then.
        Assert.Equal("scheduled", info.State);
        Assert.Equal(session.JoinOpensAt, info.JoinOpensAt);
        await Api.AssertProblemAsync(
            await anyone.PostAsJsonAsync("/api/join", new { code = session.Code, agencyId = invited[0].Id, displayName = "王芳", headcount = 1 }),
            HttpStatusCode.Conflict, "session_not_open");

        await Api.AssertProblemAsync(await anyone.GetAsync("/api/sessions"), HttpStatusCode.Unauthorized, "unauthorised");
        var (live, liveInvited) = await _api.ScheduleAsync();
        var viewer = await _api.JoinAsync(live.Code, liveInvited[0].Id, "王芳");
        using var asViewer = _api.Client(viewer.ParticipantToken);
        await Api.AssertProblemAsync(await asViewer.GetAsync("/api/sessions"), HttpStatusCode.Forbidden, "forbidden");
        await Api.AssertProblemAsync(
            await asViewer.PostAsJsonAsync("/api/agencies", new { name = "x", city = "y", province = "z" }),
            HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Page_changes_reach_every_viewer_and_a_late_joiner_sees_the_current_page()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var deck = DemoSession.SampleDeck(5);
        var upload = await _api.UploadDeckAsync(session, deck, "疫情防控经验.pdf");
        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var uploaded = (await upload.Content.ReadFromJsonAsync<DeckView>(Api.Json))!;
        Assert.Equal(5, uploaded.PageCount);
        Assert.Equal("疫情防控经验.pdf", uploaded.FileName);

        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", headcount: 6);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var first = await viewer.WaitForAsync<SessionSnapshot>(_ => true);
        Assert.Equal(uploaded.DeckId, first.Slides.Deck?.DeckId);
        Assert.Equal(1, first.Slides.CurrentPage);

        var change = await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 3);
        Assert.Equal(first.Slides.Version + 1, change.Version);
        var seen = await viewer.WaitForAsync<PageChanged>(p => p.Page == 3);
        Assert.Equal(change.Version, seen.Version);
        await host.WaitForAsync<PageChanged>(p => p.Page == 3);

        var late = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏", headcount: 3);
        await using var lateViewer = await LiveClient.ConnectAsync(_api.BaseAddress, late.ParticipantToken);
        var snapshot = await lateViewer.WaitForAsync<SessionSnapshot>(_ => true);
        Assert.Equal(3, snapshot.Slides.CurrentPage);
        Assert.Equal(change.Version, snapshot.Slides.Version);

        // The viewer downloads the deck it is told about, byte for byte; asked again, the browser's copy stands.
        using var asViewer = _api.Client(late.ParticipantToken);
        var download = await asViewer.GetAsync($"/api/decks/{uploaded.DeckId}");
        Assert.Equal(deck, await download.Content.ReadAsByteArrayAsync());
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/api/decks/{uploaded.DeckId}");
        again.Headers.IfNoneMatch.Add(download.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await asViewer.SendAsync(again)).StatusCode);
        using var stranger = _api.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync($"/api/decks/{uploaded.DeckId}")).StatusCode);
    }

    [Fact]
    public async Task Questions_and_votes_reach_everyone_sorted_and_a_vote_counts_once()
    {
        var (session, invited) = await _api.ScheduleAsync();
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var asker = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        var voter = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏");
        await using var a = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken);
        await using var b = await LiveClient.ConnectAsync(_api.BaseAddress, voter.ParticipantToken);

        var q1 = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "  志愿者轮班是怎么安排的？ ", (string?)null, false);
        var q2 = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "独居老人每天怎么联系？", (string?)null, false);
        Assert.Equal("志愿者轮班是怎么安排的？", q1.Text);
        Assert.Equal("邢台市益襄社会工作服务中心", q2.AgencyName);
        await host.WaitForAsync<QuestionAsked>(q => q.Question.Id == q2.Id);
        await b.WaitForAsync<QuestionAsked>(q => q.Question.Id == q2.Id);

        var vote = await b.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), q2.Id);
        Assert.Equal(1, vote.Votes);
        await host.WaitForAsync<VotesChanged>(v => v.Counts.Any(c => c.QuestionId == q2.Id && c.Votes == 1));
        await a.WaitForAsync<VotesChanged>(v => v.Counts.Any(c => c.QuestionId == q2.Id && c.Votes == 1));

        // Voting again (a retry after a reconnect) is the same vote: the same count, no error the page would show.
        var again = await b.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), q2.Id);
        Assert.Equal(1, again.Votes);
        var own = await Assert.ThrowsAsync<HubException>(() => a.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), q1.Id));
        Assert.Contains("[own_question]", own.Message);
        var missing = await Assert.ThrowsAsync<HubException>(() => b.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), 999_999L));
        Assert.Contains("[question_not_found]", missing.Message);

        // Most votes first; the refused votes changed nothing; the voter's own vote is remembered.
        var snapshot = await b.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot));
        Assert.Equal([q2.Id, q1.Id], snapshot.Questions.Questions.Select(q => q.Id));
        Assert.Equal([1, 0], snapshot.Questions.Questions.Select(q => q.Votes));
        Assert.Equal([q2.Id], snapshot.Questions.MyVotes);
    }

    [Fact]
    public async Task Host_only_and_viewer_only_calls_are_refused_with_a_clear_error()
    {
        var (session, invited) = await _api.ScheduleAsync();
        Assert.Equal(HttpStatusCode.Created, (await _api.UploadDeckAsync(session, DemoSession.SampleDeck(3))).StatusCode);
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);

        var refused = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 2));
        Assert.Contains("[host_only] Only the host can do this.", refused.Message);
        var hostAsks = await Assert.ThrowsAsync<HubException>(() => host.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "?", (string?)null, false));
        Assert.Contains("[viewer_only]", hostAsks.Message);
        var outOfRange = await Assert.ThrowsAsync<HubException>(() => host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 4));
        Assert.Contains("[page_out_of_range]", outOfRange.Message);

        Assert.Equal(1, (await viewer.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot))).Slides.CurrentPage);

        // Each connection has a call budget: a script asking for snapshots in a loop is refused, politely.
        var calls = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            try
            {
                await viewer.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot));
                return "ok";
            }
            catch (HubException e)
            {
                return e.Message.Contains("[rate_limited]") ? "limited" : e.Message;
            }
        }));
        Assert.True(calls.Count(c => c == "ok") is > 0 and < 40, string.Join(",", calls));
        Assert.All(calls, c => Assert.True(c is "ok" or "limited", c));

        // A viewer's token cannot upload a deck either.
        using var asViewer = _api.Client(joined.ParticipantToken);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(DemoSession.SampleDeck(1)), "file", "x.pdf" } };
        await Api.AssertProblemAsync(await asViewer.PostAsync($"/api/sessions/{session.Id}/deck", form), HttpStatusCode.Forbidden, "forbidden");

        // Nor can a host of one session upload to another.
        var (other, _) = await _api.ScheduleAsync("另一场");
        using var asHost = _api.Client(session.HostToken);
        using var form2 = new MultipartFormDataContent { { new ByteArrayContent(DemoSession.SampleDeck(1)), "file", "x.pdf" } };
        await Api.AssertProblemAsync(await asHost.PostAsync($"/api/sessions/{other.Id}/deck", form2), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_deflate_bomb_is_refused_stored_nowhere_and_never_reaches_a_viewer()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);

        // 96 KB of deflate that expands to 96 MB; and 64 MB deflated twice (a bomb one layer down).
        var bomb = Deflate(new byte[96 * 1024 * 1024]);
        var twice = Deflate(Deflate(new byte[64 * 1024 * 1024]));
        Assert.True(bomb.Length < TestDeckLimit && twice.Length < 10_000, $"{bomb.Length} and {twice.Length} bytes");
        foreach (var (content, filter) in new[] { (bomb, "/FlateDecode"), (twice, "[/FlateDecode /FlateDecode]") })
        {
            var upload = await _api.UploadDeckAsync(session, OnePagePdf(content, filter), "bomb.pdf");
            var title = await Api.AssertProblemAsync(upload, HttpStatusCode.BadRequest, "deck_too_complex");
            Assert.Contains("MB", title);
        }

        // Nothing stored, nothing announced: the viewer still has no deck and heard of none.
        Assert.Null((await viewer.InvokeAsync<SlidesState>(nameof(IExchangeHub.GetSlides))).Deck);
        Assert.Empty(viewer.Received.OfType<DeckChanged>());

        // A real deck with compressed pages still goes through.
        var fine = OnePagePdf(Deflate(Encoding.ASCII.GetBytes("BT /F1 24 Tf 72 500 Td (Hello) Tj ET")), "/FlateDecode");
        Assert.Equal(HttpStatusCode.Created, (await _api.UploadDeckAsync(session, fine, "fine.pdf")).StatusCode);
        await viewer.WaitForAsync<DeckChanged>(d => d.Deck.FileName == "fine.pdf");
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(output, System.IO.Compression.CompressionLevel.SmallestSize))
        {
            z.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>A one-page PDF whose page content is <paramref name="content"/> under <paramref name="filter"/>, with a correct xref.</summary>
    private static byte[] OnePagePdf(byte[] content, string filter)
    {
        using var pdf = new MemoryStream();
        var offsets = new List<long>();
        void Text(string s) => pdf.Write(Encoding.ASCII.GetBytes(s));
        void Obj(string body)
        {
            offsets.Add(pdf.Position);
            Text($"{offsets.Count} 0 obj\n{body}\nendobj\n");
        }

        Text("%PDF-1.7\n");
        Obj("<< /Type /Catalog /Pages 2 0 R >>");
        Obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
        Obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>");
        offsets.Add(pdf.Position);
        Text($"4 0 obj\n<< /Length {content.Length} /Filter {filter} >>\nstream\n");
        pdf.Write(content);
        Text("\nendstream\nendobj\n");
        Obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
        var xref = pdf.Position;
        Text($"xref\n0 {offsets.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            Text($"{offset:D10} 00000 n \n");
        }

        Text($"trailer\n<< /Size {offsets.Count + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return pdf.ToArray();
    }

    [Fact]
    public async Task Bad_input_gets_a_clear_error_and_stores_nothing()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var before = await viewer.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot));

        // A Word file renamed to .pdf, a file that only starts like a PDF, and one over the limit.
        await Api.AssertProblemAsync(await _api.UploadDeckAsync(session, Encoding.UTF8.GetBytes("PK\u0003\u0004 not a pdf"), "slides.pdf"),
            HttpStatusCode.BadRequest, "deck_not_pdf");
        await Api.AssertProblemAsync(await _api.UploadDeckAsync(session, Encoding.ASCII.GetBytes("%PDF-1.7\n garbage without objects\n%%EOF")),
            HttpStatusCode.BadRequest, "deck_not_pdf");
        var oversized = new byte[TestDeckLimit + 1];
        Encoding.ASCII.GetBytes("%PDF-1.7\n").CopyTo(oversized, 0);
        await Api.AssertProblemAsync(await _api.UploadDeckAsync(session, oversized), HttpStatusCode.RequestEntityTooLarge, "deck_too_large");
        using var asHost = _api.Client(session.HostToken);
        await Api.AssertProblemAsync(await asHost.PostAsync($"/api/sessions/{session.Id}/deck", new MultipartFormDataContent()),
            HttpStatusCode.BadRequest, "deck_missing");

        var empty = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "   ", (string?)null, false));
        Assert.Contains("[question_empty]", empty.Message);
        var tooLong = await Assert.ThrowsAsync<HubException>(
            () => viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), new string('问', 301), (string?)null, false));
        Assert.Contains("[question_too_long]", tooLong.Message);

        using var anyone = _api.Client();
        await Api.AssertProblemAsync(await anyone.GetAsync("/api/join/ZZZZ22"), HttpStatusCode.NotFound, "unknown_code");
        await Api.AssertProblemAsync(await anyone.GetAsync("/api/join/O0I1L"), HttpStatusCode.NotFound, "unknown_code");
        await Api.AssertProblemAsync(
            await anyone.PostAsJsonAsync("/api/join", new { code = "ZZZZ22", agencyId = invited[0].Id, displayName = "李华", headcount = 1 }),
            HttpStatusCode.NotFound, "unknown_code");
        await Api.AssertProblemAsync(
            await anyone.PostAsJsonAsync("/api/join", new { code = session.Code, agencyId = session.HostAgency.Id + 1000, displayName = "李华", headcount = 1 }),
            HttpStatusCode.BadRequest, "agency_not_invited");
        await Api.AssertProblemAsync(
            await anyone.PostAsJsonAsync("/api/join", new { code = session.Code, agencyId = invited[0].Id, displayName = "李华", headcount = 0 }),
            HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(
            await anyone.PostAsJsonAsync("/api/join", new { code = session.Code, agencyId = invited[0].Id, displayName = new string('名', 41), headcount = 2 }),
            HttpStatusCode.BadRequest, "validation");
        using var organiser = _api.Organiser();
        await Api.AssertProblemAsync(
            await organiser.PostAsJsonAsync("/api/sessions", new { title = "x", hostAgencyId = 1, startsAt = "2020-03-16T16:00", endsAt = "2020-03-16T14:00", timeZone = "Asia/Shanghai" }),
            HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(
            await organiser.PostAsJsonAsync("/api/sessions", new { title = "x", hostAgencyId = 1, startsAt = "2020-03-16T14:00", endsAt = "2020-03-16T16:00", timeZone = "Mars/Olympus" }),
            HttpStatusCode.BadRequest, "unknown_time_zone");

        var after = await viewer.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot));
        Assert.Null(after.Slides.Deck);
        Assert.Empty(after.Questions.Questions);
        Assert.Equal(before.Slides.Version, after.Slides.Version);
        var attendance = await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json);
        Assert.Single(attendance!); // Only the one viewer who joined; the failed joins made nobody.
    }

    [Fact]
    public async Task Drop_and_rejoin_is_one_participant_with_several_intervals_and_minutes_are_their_union()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏", headcount: 4);

        // Two tabs overlapping for a while, then a drop, then a rejoin from the same browser (same token).
        var t0 = DateTimeOffset.UtcNow;
        // Tab 2 opens a second after tab 1 and they overlap for four: the union is far from the sum.
        var tab1 = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var open1 = DateTimeOffset.UtcNow;
        await Task.Delay(1000);
        var tab2 = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var open2 = DateTimeOffset.UtcNow;
        await Task.Delay(4000);
        await tab1.DisposeAsync();
        var close1 = DateTimeOffset.UtcNow;
        await Task.Delay(1000);
        await tab2.DisposeAsync();
        var close2 = DateTimeOffset.UtcNow;
        await Task.Delay(1500);
        var rejoined = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏", headcount: 5, token: joined.ParticipantToken);
        Assert.Equal(joined.ParticipantToken, rejoined.ParticipantToken);
        // The same browser joining for another agency is someone else: its minutes must not move agencies.
        var otherAgency = await _api.JoinAsync(session.Code, invited[2].Id, "赵敏", token: joined.ParticipantToken);
        Assert.NotEqual(joined.ParticipantToken, otherAgency.ParticipantToken);
        var tab3 = await LiveClient.ConnectAsync(_api.BaseAddress, rejoined.ParticipantToken);
        var open3 = DateTimeOffset.UtcNow;
        await Task.Delay(2000);
        await tab3.DisposeAsync();
        var close3 = DateTimeOffset.UtcNow;

        using var organiser = _api.Organiser();
        var row = await AttendanceOnceClosedAsync(organiser, session.Id);
        Assert.Equal(3, row.Joins);
        Assert.Equal(5, row.Headcount);
        Assert.False(row.Connected);
        // The union, as the client saw it (tab 1 opening to tab 2 closing, then tab 3), not the sum of the three.
        var union = (close2 - open1 + (close3 - open3)).TotalSeconds;
        var sum = (close1 - open1 + (close2 - open2) + (close3 - open3)).TotalSeconds;
        // The server sees each connection from a little before the client does to a little after.
        Assert.InRange(row.SecondsPresent, union - 1.5, union + 1.5);
        Assert.True(row.SecondsPresent < sum - 2.5, $"union {row.SecondsPresent}s should be well under the sum {sum:0.0}s");

        var zh = await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/attendance.csv");
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, zh[..3]);
        // The heading (title, date, zone), a blank line, then the table.
        var zhLines = Encoding.UTF8.GetString(zh[3..]).Split("\r\n");
        Assert.Equal("交流活动,苏冀云牵手，社工e在线", zhLines[0]);
        Assert.Equal("", zhLines[3]);
        Assert.Equal("机构,城市,显示名称,角色,人数,首次加入,最后离开,在线时长（分钟）,加入次数,同意的告知版本,同意时间", zhLines[4]);
        var cells = Assert.Single(zhLines[5..], l => l != "").Split(',');
        Assert.Equal(["邢台市桥东区阳光社区服务社", "邢台", "赵敏", "观看方", "5"], cells[..5]);
        var firstJoin = DateTime.Parse(cells[5], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange((firstJoin - t0.ToOffset(TimeSpan.FromHours(8)).DateTime).TotalSeconds, -1, 3); // Beijing time, the session's zone.
        Assert.NotEqual("", cells[6]);
        Assert.Equal(row.MinutesPresent.ToString(System.Globalization.CultureInfo.InvariantCulture), cells[7]); // whole minutes, as on screen
        Assert.Equal("3", cells[8]);

        var en = await organiser.GetAsync($"/api/sessions/{session.Id}/attendance.csv?lang=en");
        Assert.Equal("text/csv", en.Content.Headers.ContentType?.MediaType);
        var enText = Encoding.UTF8.GetString((await en.Content.ReadAsByteArrayAsync())[3..]);
        Assert.Contains("\r\n\r\nAgency,City,Display name,Role,Headcount,First joined,Last left,Minutes present,Joins,Consent notice version,Consented at\r\n", enText);
        Assert.Contains(",Viewer,5,", enText);
        await Api.AssertProblemAsync(await organiser.GetAsync($"/api/sessions/{session.Id}/attendance.csv?lang=fr"), HttpStatusCode.BadRequest, "validation");
    }

    /// <summary>A client's close returns before the server has recorded the leave; wait for it.</summary>
    private static async Task<ParticipantAttendance> AttendanceOnceClosedAsync(HttpClient organiser, long sessionId)
    {
        for (var attempt = 0; ; attempt++)
        {
            var rows = await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{sessionId}/attendance", Api.Json);
            var row = Assert.Single(rows!);
            if (!row.Connected || attempt == 50)
            {
                return row;
            }

            await Task.Delay(100);
        }
    }
}
