using System.Net;
using System.Net.Http.Json;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Sessions;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;

namespace LiveExchange.Tests.Organising;

/// <summary>
/// The organiser edits, re-plans and cancels sessions; screens already connected and the join page see
/// it. Both databases.
/// </summary>
public abstract class SessionEditingTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    private static string Local(DateTimeOffset at) => LiveExchange.Bench.Cluster.LocalTime(at);

    private static object Body(SessionScheduled s, string? title = null, DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null,
        long? hostAgencyId = null, long[]? invited = null) => new
    {
        title = title ?? s.Title,
        description = s.Description,
        hostAgencyId = hostAgencyId ?? s.HostAgency.Id,
        invitedAgencyIds = invited ?? s.InvitedAgencies.Select(a => a.Id).ToArray(),
        startsAt = Local(startsAt ?? s.StartsAt),
        endsAt = Local(endsAt ?? s.EndsAt),
        timeZone = s.TimeZone,
    };

    private static async Task<SessionScheduled> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<SessionScheduled>(body, Api.Json)!;
    }

    [Fact]
    public async Task An_edit_and_an_agenda_reach_connected_screens_and_the_join_page_and_raise_the_sequence()
    {
        var (session, invited) = await _api.ScheduleAsync();
        Assert.Equal(0, session.Sequence);
        Assert.Empty(session.Agenda);
        var start = session.StartsAt;
        using var organiser = _api.Organiser();

        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 4);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);

        // An agenda of three parts, entered out of order: stored in time order, presenters named.
        var planned = await OkAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/agenda", new
        {
            segments = new object[]
            {
                new { title = "互动问答", agencyId = (long?)null, startsAt = Local(start.AddMinutes(90)), endsAt = Local(start.AddMinutes(120)) },
                new { title = "疫情防控经验分享", agencyId = (long?)session.HostAgency.Id, startsAt = Local(start), endsAt = Local(start.AddMinutes(60)) },
                new { title = "邢台机构回应", agencyId = (long?)invited[1].Id, startsAt = Local(start.AddMinutes(60)), endsAt = Local(start.AddMinutes(90)) },
            },
        }));
        Assert.Equal(["疫情防控经验分享", "邢台机构回应", "互动问答"], planned.Agenda.Select(a => a.Title));
        Assert.Equal(session.HostAgency.Name, planned.Agenda[0].AgencyName);
        Assert.Equal(invited[1].Name, planned.Agenda[1].AgencyName);
        Assert.Null(planned.Agenda[2].AgencyId);
        Assert.Equal(start.AddMinutes(60), planned.Agenda[1].StartsAt);
        Assert.Equal(TimeSpan.FromHours(8), planned.Agenda[1].StartsAt.Offset); // In the session's zone.
        Assert.Equal(1, planned.Sequence);
        var outline = await viewer.WaitForAsync<SessionOutline>(o => o.Agenda.Count == 3);
        Assert.Equal(1, outline.Sequence);

        // A new title, a later end and one agency fewer: the viewer's page and the join page show it.
        var edited = await OkAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}",
            Body(session, title: "苏冀云牵手：社区防控经验交流", endsAt: session.EndsAt.AddMinutes(30), invited: [invited[0].Id, invited[1].Id])));
        Assert.Equal("苏冀云牵手：社区防控经验交流", edited.Title);
        Assert.Equal(session.EndsAt.AddMinutes(30), edited.EndsAt);
        Assert.Equal([invited[0].Id, invited[1].Id], edited.InvitedAgencies.Select(a => a.Id));
        Assert.Equal(2, edited.Sequence);
        outline = await viewer.WaitForAsync<SessionOutline>(o => o.Sequence == 2);
        Assert.Equal("苏冀云牵手：社区防控经验交流", outline.Title);
        Assert.Equal(SessionStates.Live, outline.State);
        var info = (await _api.Client().GetFromJsonAsync<JoinInfo>($"/api/join/{session.Code}", Api.Json))!;
        Assert.Equal(edited.Title, info.Title);
        Assert.Equal(3, info.Agenda.Count);
        Assert.Equal(2, info.InvitedAgencies.Length);
        var mine = (await _api.Client(joined.ParticipantToken).GetFromJsonAsync<MySession>("/api/session", Api.Json))!;
        Assert.Equal(edited.Title, mine.Outline.Title);
        Assert.Equal(3, mine.Outline.Agenda.Count);

        // Saving the same details again changes nothing a calendar shows: no new sequence.
        Assert.Equal(2, (await OkAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}",
            Body(edited)))).Sequence);

        // Moving the start moves the agenda with it.
        var moved = await OkAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}",
            Body(edited, startsAt: edited.StartsAt.AddMinutes(-10), endsAt: edited.EndsAt.AddMinutes(-10))));
        Assert.Equal(start.AddMinutes(-10), moved.Agenda[0].StartsAt);
        Assert.Equal(start.AddMinutes(110), moved.Agenda[2].EndsAt);
        Assert.Equal(3, moved.Sequence);

        // A reconnecting screen gets the outline in its snapshot.
        await using var again = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var snapshot = await again.WaitForAsync<SessionSnapshot>(_ => true);
        Assert.Equal(3, snapshot.Outline.Sequence);
        Assert.Equal(moved.Agenda.Select(a => a.StartsAt), snapshot.Outline.Agenda.Select(a => a.StartsAt));
    }

    [Fact]
    public async Task Bad_edits_and_agendas_are_refused_and_change_nothing()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var start = session.StartsAt;
        using var organiser = _api.Organiser();
        var planned = await OkAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/agenda", new
        {
            segments = new[] { new { title = "分享", agencyId = (long?)null, startsAt = Local(start), endsAt = Local(start.AddMinutes(60)) } },
        }));

        async Task RefusedAgendaAsync(HttpStatusCode status, string code, params object[] segments) =>
            await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/agenda", new { segments }), status, code);

        await RefusedAgendaAsync(HttpStatusCode.BadRequest, "agenda_overlap",
            new { title = "一", agencyId = (long?)null, startsAt = Local(start), endsAt = Local(start.AddMinutes(40)) },
            new { title = "二", agencyId = (long?)null, startsAt = Local(start.AddMinutes(30)), endsAt = Local(start.AddMinutes(60)) });
        await RefusedAgendaAsync(HttpStatusCode.BadRequest, "agenda_outside_session",
            new { title = "太晚", agencyId = (long?)null, startsAt = Local(session.EndsAt), endsAt = Local(session.EndsAt.AddMinutes(30)) });
        await RefusedAgendaAsync(HttpStatusCode.BadRequest, "validation",
            new { title = "倒序", agencyId = (long?)null, startsAt = Local(start.AddMinutes(30)), endsAt = Local(start) });
        await RefusedAgendaAsync(HttpStatusCode.BadRequest, "validation",
            new { title = "", agencyId = (long?)null, startsAt = Local(start), endsAt = Local(start.AddMinutes(30)) });
        using (var http = _api.Organiser())
        {
            var stranger = await Api.PostAsync<LiveExchange.Hub.Agencies.Agency>(http, "/api/agencies", new { name = "未受邀机构", city = "石家庄", province = "河北" });
            await RefusedAgendaAsync(HttpStatusCode.BadRequest, "agency_not_invited",
                new { title = "外人", agencyId = (long?)stranger.Id, startsAt = Local(start), endsAt = Local(start.AddMinutes(30)) });

            // The host agency is locked once joining is open (its link may be in use).
            await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}", Body(planned, hostAgencyId: invited[0].Id)),
                HttpStatusCode.Conflict, "host_locked");
        }

        await RefusedAgendaAsync(HttpStatusCode.BadRequest, "validation", Enumerable.Range(0, SessionEndpoints.AgendaMax + 1)
            .Select(i => (object)new { title = $"第{i}", agencyId = (long?)null, startsAt = Local(start.AddMinutes(i)), endsAt = Local(start.AddMinutes(i + 1)) })
            .ToArray());

        // Shortening the session so that the agenda falls outside: refused, title not changed either.
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}",
            Body(planned, title: "不应保存", endsAt: start.AddMinutes(30))), HttpStatusCode.BadRequest, "agenda_outside_session");
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}",
            Body(planned, title: "不应保存", endsAt: start.AddMinutes(-30))), HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync("/api/sessions/999999", Body(planned)), HttpStatusCode.NotFound, "session_not_found");

        // Only the organiser edits: a host's or a viewer's token is refused.
        using var asHost = _api.Client(session.HostToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await asHost.PutAsJsonAsync($"/api/sessions/{session.Id}", Body(planned))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await asHost.PostAsync($"/api/sessions/{session.Id}/cancel", null)).StatusCode);

        var now = (await organiser.GetFromJsonAsync<SessionScheduled[]>("/api/sessions", Api.Json))!.Single(s => s.Id == session.Id);
        Assert.Equal(session.Title, now.Title);
        Assert.Equal(planned.Sequence, now.Sequence);
        Assert.Equal(planned.Agenda.Select(a => a.Title), now.Agenda.Select(a => a.Title));
    }

    [Fact]
    public async Task A_cancelled_session_refuses_joining_and_edits_and_tells_connected_screens()
    {
        // A future session, cancelled before anyone came.
        var (later, laterInvited) = await _api.ScheduleAsync("下周的交流", DateTimeOffset.UtcNow.AddDays(7), DateTimeOffset.UtcNow.AddDays(7).AddHours(2));
        using var organiser = _api.Organiser();
        var cancelled = await OkAsync(await organiser.PostAsync($"/api/sessions/{later.Id}/cancel", null));
        Assert.Equal(SessionStates.Cancelled, cancelled.State);
        Assert.NotNull(cancelled.CancelledAt);
        Assert.Equal(later.Sequence + 1, cancelled.Sequence);
        // Twice is once.
        Assert.Equal(cancelled.Sequence, (await OkAsync(await organiser.PostAsync($"/api/sessions/{later.Id}/cancel", null))).Sequence);
        var info = (await _api.Client().GetFromJsonAsync<JoinInfo>($"/api/join/{later.Code}", Api.Json))!;
        Assert.Equal(SessionStates.Cancelled, info.State);
        await Api.AssertProblemAsync(await _api.Client().PostAsJsonAsync("/api/join",
            new { code = later.Code, agencyId = laterInvited[0].Id, displayName = "王芳", headcount = 2 }), HttpStatusCode.Gone, "session_cancelled");
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{later.Id}", Body(later, title: "改名")),
            HttpStatusCode.Gone, "session_cancelled");
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{later.Id}/agenda", new { segments = Array.Empty<object>() }),
            HttpStatusCode.Gone, "session_cancelled");

        // A live session with a screen on it: the screen is told why, and its attendance closes.
        var (live, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(live.Code, invited[0].Id, "李华", 4);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        Assert.Equal(SessionStates.Cancelled, (await OkAsync(await organiser.PostAsync($"/api/sessions/{live.Id}/cancel", null))).State);
        await viewer.WaitForAsync<SessionEnded>(e => e.SessionId == live.Id && e.Reason == "cancelled");
        var attendance = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{live.Id}/attendance", Api.Json))!;
        Assert.False(Assert.Single(attendance).Connected);
        Assert.Contains("[session_cancelled]", await LiveClient.RefusalAsync(_api.BaseAddress, joined.ParticipantToken));

        // An ended session can't be cancelled any more: it happened.
        var (ended, _) = await _api.ScheduleAsync("已结束的交流");
        await OkAsync(await organiser.PostAsync($"/api/sessions/{ended.Id}/end", null));
        await Api.AssertProblemAsync(await organiser.PostAsync($"/api/sessions/{ended.Id}/cancel", null), HttpStatusCode.Gone, "session_ended");
    }
}

public sealed class SessionEditingOnPostgres(PostgresAppFixture fixture) : SessionEditingTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class SessionEditingOnSqlite(SqliteAppFixture fixture) : SessionEditingTests(fixture.App), IClassFixture<SqliteAppFixture>;
