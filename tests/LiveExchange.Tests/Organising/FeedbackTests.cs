using System.Net;
using System.Net.Http.Json;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Feedback;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Sessions;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;

namespace LiveExchange.Tests.Organising;

/// <summary>Feedback after a session, through HTTP (and the hub for a viewer who watched), on both databases.</summary>
public abstract class FeedbackTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    /// <summary>A form with every kind: a rating (Chinese only), a single and a multiple choice, a required text (English only).</summary>
    private static readonly object OwnForm = new
    {
        questions = new object[]
        {
            new { kind = "rating", textZh = "讲座内容是否清楚？", textEn = (string?)null, required = true },
            new
            {
                kind = "single", textZh = "下次希望的时长", textEn = "Length next time", required = false,
                options = new[] { new { textZh = "一小时", textEn = "One hour" }, new { textZh = "两小时", textEn = "Two hours" }, new { textZh = "半天", textEn = "Half a day" } },
            },
            new
            {
                kind = "multiple", textZh = "希望的主题", textEn = "Topics we want", required = false,
                options = new[] { new { textZh = "社区防疫", textEn = "Community epidemic work" }, new { textZh = "志愿者管理", textEn = "Volunteers" }, new { textZh = "为老服务", textEn = "Elderly care" } },
            },
            new { kind = "text", textZh = "", textEn = "Anything else?", required = false },
        },
    };

    [Fact]
    public async Task The_default_form_is_in_both_languages_until_the_organiser_saves_their_own()
    {
        var (session, _) = await _api.ScheduleAsync();
        using var organiser = _api.Organiser();

        var form = await organiser.GetFromJsonAsync<FeedbackForm>($"/api/sessions/{session.Id}/feedback/form", Api.Json);
        Assert.True(form!.IsDefault);
        Assert.False(form.Locked);
        Assert.Equal($"/feedback.html?code={session.Code}", form.Link);
        Assert.Equal(["rating", "rating", "text", "text"], form.Questions.Select(q => q.Kind));
        Assert.Equal([1, 2, 3, 4], form.Questions.Select(q => q.Number));
        Assert.Equal([true, true, false, false], form.Questions.Select(q => q.Required));
        Assert.All(form.Questions, q => Assert.Contains(q.TextZh, c => c >= '\u4e00' && c <= '\u9fff'));
        Assert.All(form.Questions, q => Assert.Matches("^[A-Z][A-Za-z ,?]+$", q.TextEn));
        Assert.Contains("useful", form.Questions[1].TextEn);
        Assert.Contains("改进", form.Questions[3].TextZh);
        Assert.Equal(new FeedbackLimits(12, 300, 2, 10, 100, 2000, 1, 5, 500), form.Limits);
        Assert.Equal(FeedbackWindowStates.NotOpen, form.Window.State);

        // The organiser's own form, read back; a text in one language only shows in the other too.
        var saved = await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/feedback/form", OwnForm);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        form = await organiser.GetFromJsonAsync<FeedbackForm>($"/api/sessions/{session.Id}/feedback/form", Api.Json);
        Assert.False(form!.IsDefault);
        Assert.Equal(["rating", "single", "multiple", "text"], form.Questions.Select(q => q.Kind));
        Assert.Equal(("讲座内容是否清楚？", "讲座内容是否清楚？"), (form.Questions[0].TextZh, form.Questions[0].TextEn));
        Assert.Equal(("Anything else?", "Anything else?"), (form.Questions[3].TextZh, form.Questions[3].TextEn));
        Assert.Equal(["一小时", "两小时", "半天"], form.Questions[1].Options.Select(o => o.TextZh));
        Assert.Equal([1, 2, 3], form.Questions[2].Options.Select(o => o.Number));
        Assert.Equal("Elderly care", form.Questions[2].Options[2].TextEn);

        // Anyone with the code sees the same form on the feedback page.
        using var anyone = _api.Client();
        var invitation = await anyone.GetFromJsonAsync<FeedbackInvitation>($"/api/feedback/{session.Code.ToLowerInvariant()}", Api.Json);
        Assert.Equal(form.Questions.Select(q => q.TextZh), invitation!.Questions.Select(q => q.TextZh));
        Assert.Equal(3, invitation.InvitedAgencies.Length);

        // Forms beyond the limits, or malformed, are refused.
        var url = $"/api/sessions/{session.Id}/feedback/form";
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync(url, new
        {
            questions = Enumerable.Range(1, 13).Select(i => new { kind = "text", textZh = $"问题{i}", required = false }).ToArray(),
        }), HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync(url, new
        {
            questions = new[] { new { kind = "single", textZh = "只有一个选项", required = true, options = new[] { new { textZh = "是" } } } },
        }), HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync(url, new
        {
            questions = new[] { new { kind = "essay", textZh = "作文", required = true } },
        }), HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync(url, new
        {
            questions = new[] { new { kind = "text", textZh = "", textEn = "  ", required = true } },
        }), HttpStatusCode.BadRequest, "validation");
        form = await organiser.GetFromJsonAsync<FeedbackForm>(url, Api.Json);
        Assert.Equal(4, form!.Questions.Length); // unchanged by the refusals

        // Viewers cannot read or change the organiser's form.
        var viewer = await _api.JoinAsync(session.Code, invitation.InvitedAgencies[0].Id, "李华");
        using var asViewer = _api.Client(viewer.ParticipantToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await asViewer.PutAsJsonAsync(url, OwnForm)).StatusCode);
    }

    [Fact]
    public async Task A_viewer_answers_once_after_the_end_edits_until_feedback_closes_and_the_results_still_read()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 3);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        using var asViewer = _api.Client(joined.ParticipantToken);
        using var asLate = _api.Client((await _api.JoinAsync(session.Code, invited[1].Id, "王芳")).ParticipantToken);
        using var organiser = _api.Organiser();
        var response = $"/api/sessions/{session.Id}/feedback/response";
        var answers = Answers(overall: 4, useful: 5, apply: "社区网格化管理");

        // Not before the end.
        await Api.AssertProblemAsync(await asViewer.PostAsJsonAsync(response, answers), HttpStatusCode.Conflict, "feedback_not_open");

        Assert.Equal(HttpStatusCode.OK, (await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).StatusCode);
        await viewer.WaitForAsync<SessionEnded>(e => e.Reason == "ended");

        var mine = await asViewer.GetFromJsonAsync<MyFeedback>(response, Api.Json);
        Assert.Equal(FeedbackWindowStates.Open, mine!.Window.State);
        Assert.Null(mine.Response);
        Assert.Equal((3, invited[0].Name), (mine.Headcount, mine.AgencyName));

        var created = await asViewer.PostAsJsonAsync(response, answers);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var given = (await created.Content.ReadFromJsonAsync<FeedbackResponse>(Api.Json))!;
        Assert.Equal(3, given.SpeaksFor); // the participant's headcount by default
        Assert.Equal([(1, (int?)4), (2, 5), (3, null)], given.Answers.Select(a => (a.Question, a.Rating)));
        Assert.Equal("社区网格化管理", given.Answers[2].Text);

        // One response per participant: a second POST is refused, PUT changes it.
        await Api.AssertProblemAsync(await asViewer.PostAsJsonAsync(response, Answers(overall: 1, useful: 1)),
            HttpStatusCode.Conflict, "feedback_already_submitted");
        var results = await ResultsAsync(organiser, session.Id);
        Assert.Equal((1, 3, 4.0), (results.Responses, results.People, results.Questions[0].Average!.Value));

        var edited = await asViewer.PutAsJsonAsync(response, new
        {
            speaksFor = 2,
            answers = new object[] { new { question = 1, rating = 2 }, new { question = 2, rating = 3 } },
        });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        results = await ResultsAsync(organiser, session.Id);
        Assert.Equal((1, 2), (results.Responses, results.People));
        Assert.Equal(2.0, results.Questions[0].Average);
        Assert.Equal([0, 1, 0, 0, 0], results.Questions[0].Distribution.Select(b => b.Responses));
        Assert.Empty(results.Questions[2].Texts); // the edit dropped the text
        mine = await asViewer.GetFromJsonAsync<MyFeedback>(response, Api.Json);
        Assert.Equal(2, mine!.Response!.SpeaksFor);

        // Answered, the form is frozen.
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/feedback/form", OwnForm),
            HttpStatusCode.Conflict, "feedback_form_locked");
        Assert.True((await organiser.GetFromJsonAsync<FeedbackForm>($"/api/sessions/{session.Id}/feedback/form", Api.Json))!.Locked);

        // The organiser closes it: no more answers or edits, the results still read.
        var closed = await organiser.PostAsync($"/api/sessions/{session.Id}/feedback/close", null);
        var window = (await closed.Content.ReadFromJsonAsync<FeedbackWindow>(Api.Json))!;
        Assert.Equal(FeedbackWindowStates.Closed, window.State);
        Assert.True(window.ClosesAtSet);
        await Api.AssertProblemAsync(await asViewer.PutAsJsonAsync(response, Answers(overall: 5, useful: 5)), HttpStatusCode.Conflict, "feedback_closed");
        await Api.AssertProblemAsync(await asLate.PostAsJsonAsync(response, Answers(overall: 5, useful: 5)), HttpStatusCode.Conflict, "feedback_closed");
        results = await ResultsAsync(organiser, session.Id);
        Assert.Equal(FeedbackWindowStates.Closed, results.Window.State);
        Assert.Equal(2.0, results.Questions[0].Average);

        // Setting a later closing time opens it again (the organiser's time, in the session's zone).
        var tomorrow = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddDays(1), TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"));
        var reopened = await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/feedback/window",
            new { closesAt = tomorrow.ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture) });
        window = (await reopened.Content.ReadFromJsonAsync<FeedbackWindow>(Api.Json))!;
        Assert.Equal(FeedbackWindowStates.Open, window.State);
        Assert.Equal(tomorrow.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            window.ClosesAt.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TimeSpan.FromHours(8), window.ClosesAt.Offset);
        Assert.Equal(HttpStatusCode.OK, (await asViewer.PutAsJsonAsync(response, Answers(overall: 5, useful: 5))).StatusCode);

        // Back to the default: a week after the end.
        window = (await (await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/feedback/window", new { closesAt = (string?)null }))
            .Content.ReadFromJsonAsync<FeedbackWindow>(Api.Json))!;
        Assert.False(window.ClosesAtSet);
        Assert.Equal(TimeSpan.FromDays(7), window.ClosesAt - window.OpensAt);
    }

    [Fact]
    public async Task Bad_answers_are_refused_with_a_clear_code()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var organiser = _api.Organiser();
        Assert.Equal(HttpStatusCode.OK, (await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/feedback/form", OwnForm)).StatusCode);
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 2);
        await organiser.PostAsync($"/api/sessions/{session.Id}/end", null);
        using var asViewer = _api.Client(joined.ParticipantToken);
        var url = $"/api/sessions/{session.Id}/feedback/response";

        async Task Refused(string code, params object[] answers) => await Api.AssertProblemAsync(
            await asViewer.PostAsJsonAsync(url, new { answers }), HttpStatusCode.BadRequest, code);

        await Refused("answer_out_of_range", new { question = 1, rating = 6 });
        await Refused("answer_out_of_range", new { question = 1, rating = 0 });
        await Refused("unknown_option", new { question = 1, rating = 3 }, new { question = 2, options = new[] { 4 } });
        await Refused("unknown_option", new { question = 1, rating = 3 }, new { question = 3, options = new[] { 1, 0 } });
        await Refused("validation", new { question = 1, rating = 3 }, new { question = 2, options = new[] { 1, 2 } });
        await Refused("validation", new { question = 1, rating = 3 }, new { question = 4, rating = 3 });
        await Refused("validation", new { question = 1, rating = 3 }, new { question = 1, rating = 4 });
        await Refused("unknown_question", new { question = 1, rating = 3 }, new { question = 9, text = "?" });
        await Refused("answer_required", new { question = 2, options = new[] { 1 } });
        await Refused("answer_required", new { question = 1, rating = (int?)null });
        await Refused("answer_too_long", new { question = 1, rating = 3 }, new { question = 4, text = new string('好', 2001) });
        await Refused("not_text", new { question = 1, rating = 3 }, new { question = 4, text = "abc\u202Edef" });
        await Api.AssertProblemAsync(await asViewer.PostAsJsonAsync(url, new { speaksFor = 501, answers = new[] { new { question = 1, rating = 3 } } }),
            HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(await asViewer.PostAsJsonAsync(url, new { speaksFor = 0, answers = new[] { new { question = 1, rating = 3 } } }),
            HttpStatusCode.BadRequest, "validation");

        // Nothing was stored by the refusals; a good answer then goes through, its text kept at the limit.
        Assert.Equal(0, (await ResultsAsync(organiser, session.Id)).Responses);
        var ok = await asViewer.PostAsJsonAsync(url, new
        {
            answers = new object[] { new { question = 1, rating = 5 }, new { question = 3, options = new[] { 3, 1, 3 } }, new { question = 4, text = new string('好', 2000) } },
        });
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        var given = (await ok.Content.ReadFromJsonAsync<FeedbackResponse>(Api.Json))!;
        Assert.Equal([1, 3], given.Answers.Single(a => a.Question == 3).Options);
        Assert.Equal(2000, given.Answers.Single(a => a.Question == 4).Text!.Length);

        // Another session's viewer cannot answer this one; the host has no response to give.
        var (elsewhere, elsewhereInvited) = await _api.ScheduleAsync("另一场");
        var stranger = await _api.JoinAsync(elsewhere.Code, elsewhereInvited[0].Id, "赵敏");
        await Api.AssertProblemAsync(await _api.Client(stranger.ParticipantToken).PostAsJsonAsync(url, new { answers = Array.Empty<object>() }),
            HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(HttpStatusCode.Forbidden, (await _api.Client(session.HostToken).PostAsJsonAsync(url, new { answers = Array.Empty<object>() })).StatusCode);
    }

    [Fact]
    public async Task Results_count_average_distribute_and_list_texts_weighted_by_the_people_each_response_speaks_for()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var organiser = _api.Organiser();
        Assert.Equal(HttpStatusCode.OK, (await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/feedback/form", OwnForm)).StatusCode);
        var one = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 1);
        var four = await _api.JoinAsync(session.Code, invited[1].Id, "王芳", 4);
        var room = await _api.JoinAsync(session.Code, invited[2].Id, "会议室", 10);
        await organiser.PostAsync($"/api/sessions/{session.Id}/end", null);
        var url = $"/api/sessions/{session.Id}/feedback/response";

        async Task Answer(Joined who, object body) =>
            Assert.Equal(HttpStatusCode.Created, (await _api.Client(who.ParticipantToken).PostAsJsonAsync(url, body)).StatusCode);

        await Answer(one, new
        {
            answers = new object[] { new { question = 1, rating = 5 }, new { question = 2, options = new[] { 1 } }, new { question = 3, options = new[] { 1, 2 } }, new { question = 4, text = "很好，谢谢！" } },
        });
        await Answer(four, new
        {
            answers = new object[] { new { question = 1, rating = 3 }, new { question = 2, options = new[] { 1 } }, new { question = 3, options = new[] { 2 } }, new { question = 4, text = "  " } },
        });
        await Answer(room, new
        {
            speaksFor = 5,
            answers = new object[] { new { question = 1, rating = 4 }, new { question = 2, options = new[] { 3 } }, new { question = 3, options = new[] { 1, 2, 3 } }, new { question = 4, text = "希望有录像\n方便没来的同事看" } },
        });

        var results = await ResultsAsync(organiser, session.Id);
        Assert.Equal((3, 10), (results.Responses, results.People)); // 1 + 4 + 5

        var rating = results.Questions[0];
        Assert.Equal((3, 10), (rating.Answered, rating.AnsweredPeople));
        Assert.Equal(4.0, rating.Average); // (5 + 3 + 4) / 3
        Assert.Equal(3.7, rating.AveragePerPerson); // (5×1 + 3×4 + 4×5) / 10
        Assert.Equal([1, 2, 3, 4, 5], rating.Distribution.Select(b => b.Rating!.Value));
        Assert.Equal([0, 0, 1, 1, 1], rating.Distribution.Select(b => b.Responses));
        Assert.Equal([0, 0, 4, 5, 1], rating.Distribution.Select(b => b.People));

        var single = results.Questions[1];
        Assert.Null(single.Average);
        Assert.Equal(["一小时", "两小时", "半天"], single.Distribution.Select(b => b.TextZh));
        Assert.Equal([2, 0, 1], single.Distribution.Select(b => b.Responses));
        Assert.Equal([5, 0, 5], single.Distribution.Select(b => b.People));

        var multiple = results.Questions[2];
        Assert.Equal((3, 10), (multiple.Answered, multiple.AnsweredPeople));
        Assert.Equal([2, 3, 1], multiple.Distribution.Select(b => b.Responses));
        Assert.Equal([6, 10, 5], multiple.Distribution.Select(b => b.People));

        var text = results.Questions[3];
        Assert.Equal((2, 6), (text.Answered, text.AnsweredPeople)); // the blank one is no answer
        Assert.Empty(text.Distribution);
        Assert.Equal([("很好，谢谢！", invited[0].Name, 1), ("希望有录像\n方便没来的同事看", invited[2].Name, 5)],
            text.Texts.Select(t => (t.Text, t.AgencyName, t.SpeaksFor)));
        Assert.Equal("会议室", text.Texts[1].DisplayName);

        // The responses sheet: one row per response with its answers.
        var report = (await organiser.GetFromJsonAsync<FeedbackResponsesReport>($"/api/sessions/{session.Id}/feedback/responses", Api.Json))!;
        Assert.Equal(["李华", "王芳", "会议室"], report.Responses.Select(r => r.DisplayName));
        Assert.Equal([1, 4, 5], report.Responses.Select(r => r.SpeaksFor));
        Assert.Equal([1, 2, 3], report.Responses[2].Answers.Single(a => a.Question == 3).Options);
        Assert.Equal("邢台", report.Responses[0].City);
        Assert.Equal(4, report.Questions.Length);

        // A participant the organiser removes takes its response out of the results.
        var participants = await organiser.GetFromJsonAsync<LiveExchange.Hub.Participants.ParticipantEntry[]>($"/api/sessions/{session.Id}/participants", Api.Json);
        var removed = await organiser.DeleteAsync($"/api/sessions/{session.Id}/participants/{participants!.Single(p => p.DisplayName == "王芳").Id}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        results = await ResultsAsync(organiser, session.Id);
        Assert.Equal((2, 6), (results.Responses, results.People));
        Assert.Equal(4.5, results.Questions[0].Average);
    }

    [Fact]
    public async Task Someone_who_did_not_join_answers_from_the_feedback_link()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var anyone = _api.Client();
        using var organiser = _api.Organiser();
        var respondents = $"/api/feedback/{session.Code}/respondents";

        // Before the end the link only shows the form.
        var invitation = await anyone.GetFromJsonAsync<FeedbackInvitation>($"/api/feedback/{session.Code}", Api.Json);
        Assert.Equal(FeedbackWindowStates.NotOpen, invitation!.Window.State);
        Assert.Equal(4, invitation.Questions.Length);
        Assert.Equal(session.HostAgency.Id, invitation.HostAgency.Id);
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync(respondents, new { agencyId = invited[1].Id, displayName = "张伟", headcount = 6 }),
            HttpStatusCode.Conflict, "feedback_not_open");

        await organiser.PostAsync($"/api/sessions/{session.Id}/end", null);
        invitation = await anyone.GetFromJsonAsync<FeedbackInvitation>($"/api/feedback/{session.Code}", Api.Json);
        Assert.Equal(FeedbackWindowStates.Open, invitation!.Window.State);
        await Api.AssertProblemAsync(await anyone.GetAsync("/api/feedback/ZZZZZZ"), HttpStatusCode.NotFound, "unknown_code");
        var stranger = await _api.ScheduleAsync("别的交流");
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync(respondents, new { agencyId = stranger.Invited[0].Id, displayName = "张伟", headcount = 6 }),
            HttpStatusCode.BadRequest, "agency_not_invited");

        // A respondent accepts the consent notice as a joining screen does.
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync(respondents, new { agencyId = invited[1].Id, displayName = "张伟", headcount = 6 }),
            HttpStatusCode.BadRequest, "consent_required");
        var added = await anyone.PostAsJsonAsync(respondents, new { agencyId = invited[1].Id, displayName = "张伟", headcount = 6, consentVersion = 1 });
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var respondent = (await added.Content.ReadFromJsonAsync<Joined>(Api.Json))!;
        Assert.Equal(session.Id, respondent.SessionId);

        using var asRespondent = _api.Client(respondent.ParticipantToken);
        var answered = await asRespondent.PostAsJsonAsync($"/api/sessions/{session.Id}/feedback/response", Answers(overall: 5, useful: 4, apply: "志愿者积分制"));
        Assert.Equal(HttpStatusCode.Created, answered.StatusCode);
        Assert.Equal(6, (await answered.Content.ReadFromJsonAsync<FeedbackResponse>(Api.Json))!.SpeaksFor);

        var results = await ResultsAsync(organiser, session.Id);
        Assert.Equal((1, 6), (results.Responses, results.People));
        Assert.Equal([(invited[1].Name, "志愿者积分制")], results.Questions[2].Texts.Select(t => (t.AgencyName, t.Text)));

        // It never attended: the attendance sheet does not list it.
        var attendance = await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json);
        Assert.DoesNotContain(attendance!, a => a.DisplayName == "张伟");

        // The same per-address limit as joining (12 in these fixtures): 11 more, then refused.
        for (var i = 0; i < 11; i++)
        {
            Assert.Equal(HttpStatusCode.OK,
                (await anyone.PostAsJsonAsync(respondents, new { agencyId = invited[0].Id, displayName = $"填写{i}", headcount = 1, consentVersion = 1 })).StatusCode);
        }

        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync(respondents, new { agencyId = invited[0].Id, displayName = "再来", headcount = 1, consentVersion = 1 }),
            HttpStatusCode.TooManyRequests, "too_many_participants");

        // After it closes, the link says so.
        await organiser.PostAsync($"/api/sessions/{session.Id}/feedback/close", null);
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync(respondents, new { agencyId = invited[2].Id, displayName = "迟到", headcount = 1 }),
            HttpStatusCode.Conflict, "feedback_closed");
    }

    private static object Answers(int overall, int useful, string? apply = null) => new
    {
        answers = new object[] { new { question = 1, rating = overall }, new { question = 2, rating = useful }, new { question = 3, text = apply } },
    };

    private static async Task<FeedbackResults> ResultsAsync(HttpClient organiser, long sessionId) =>
        (await organiser.GetFromJsonAsync<FeedbackResults>($"/api/sessions/{sessionId}/feedback/results", Api.Json))!;
}

public sealed class FeedbackTestsOnPostgres(PostgresAppFixture fixture) : FeedbackTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class FeedbackTestsOnSqlite(SqliteAppFixture fixture) : FeedbackTests(fixture.App), IClassFixture<SqliteAppFixture>;
