using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveExchange.Hub.Sessions;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;
using LiveExchange.Tests.ScaleOut;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Tests.Live;

/// <summary>
/// Q&A moderation and asking (issue 9) through HTTP and the hub, on both databases: what each screen
/// RECEIVES is checked, not only what a page would show.
/// </summary>
public abstract class ModerationBehaviour(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    internal static string ModeratorToken(SessionScheduled session)
    {
        Assert.StartsWith("/host.html#token=", session.ModeratorLink);
        var token = session.ModeratorLink["/host.html#token=".Length..];
        Assert.NotEqual(session.HostToken, token);
        return token;
    }

    internal static Task<HttpResponseMessage> SetApprovalAsync(HttpClient http, long sessionId, bool on) =>
        http.PutAsJsonAsync($"/api/sessions/{sessionId}/moderation", new { questionsNeedApproval = on });

    [Fact]
    public async Task With_approval_on_a_question_reaches_moderators_and_its_asker_only_until_approved_then_pin_reply_answer_and_dismiss_reach_everyone()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var organiser = _api.Organiser();
        var set = await SetApprovalAsync(organiser, session.Id, true);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.True((await set.Content.ReadFromJsonAsync<ModerationSettings>(Api.Json))!.QuestionsNeedApproval);
        var listed = (await organiser.GetFromJsonAsync<SessionScheduled[]>("/api/sessions", Api.Json))!.Single(s => s.Id == session.Id);
        Assert.True(listed.QuestionsNeedApproval);
        Assert.Equal(session.ModeratorLink, listed.ModeratorLink);

        await using var moderator = await LiveClient.ConnectAsync(_api.BaseAddress, ModeratorToken(session));
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var asker = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 6);
        var other = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏", 3);
        await using var a = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken);
        await using var b = await LiveClient.ConnectAsync(_api.BaseAddress, other.ParticipantToken);
        var moderatorSnapshot = await moderator.WaitForAsync<SessionSnapshot>(_ => true);
        Assert.Equal(ParticipantRoles.Moderator, moderatorSnapshot.Role);
        Assert.NotNull(moderatorSnapshot.Moderation);
        Assert.Null((await b.WaitForAsync<SessionSnapshot>(_ => true)).Moderation);

        // Asked: pending. The moderators (the link and the host) see it named; the asker sees its own, waiting.
        var asked = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "社区志愿者怎么排班？", "k1", false);
        Assert.Equal(QuestionStatuses.Pending, asked.Status);
        var queued = (await moderator.WaitForAsync<ModerationQuestionChanged>(c => c.Question?.Id == asked.Id)).Question!;
        Assert.Equal((QuestionStatuses.Pending, invited[0].Name, invited[0].City), (queued.Status, queued.AgencyName, queued.City));
        await host.WaitForAsync<ModerationQuestionChanged>(c => c.Question?.Id == asked.Id);
        await a.WaitForAsync<QuestionView>(q => q.Id == asked.Id && q.Status == QuestionStatuses.Pending);
        var mine = await a.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions));
        Assert.Empty(mine.Questions);
        Assert.Equal(QuestionStatuses.Pending, Assert.Single(mine.Mine!).Status);
        Assert.True(mine.QuestionsNeedApproval);

        // Another viewer received nothing of it, and its reload does not hold it.
        await Task.Delay(300);
        Assert.DoesNotContain("社区志愿者怎么排班", JsonSerializer.Serialize(b.Received.ToArray()));
        Assert.Empty((await b.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions))).Questions);

        // Approved: everyone.
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.ApproveQuestion), asked.Id);
        var shown = await b.WaitForAsync<QuestionUpdated>(u => u.Question?.Id == asked.Id);
        Assert.Equal((QuestionStatuses.Live, invited[0].Name, invited[0].City), (shown.Question!.Status, shown.Question.AgencyName, shown.Question.City));
        await a.WaitForAsync<QuestionView>(q => q.Id == asked.Id && q.Status == QuestionStatuses.Live);

        // Pinned: every screen, the presenter's included.
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)asked.Id);
        await b.WaitForAsync<QuestionUpdated>(u => u.PinnedQuestionId == asked.Id);
        await host.WaitForAsync<QuestionUpdated>(u => u.PinnedQuestionId == asked.Id);
        Assert.Equal(asked.Id, (await b.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions))).PinnedQuestionId);

        // A written reply, edited once.
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.ReplyToQuestion), asked.Id, "先看第3页的排班表。");
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.ReplyToQuestion), asked.Id, "排班表在第3页。");
        await b.WaitForAsync<QuestionUpdated>(u => u.Question?.Reply == "排班表在第3页。");
        var tooLong = await Assert.ThrowsAsync<HubException>(() => moderator.InvokeAsync<object>(nameof(IExchangeHub.ReplyToQuestion), asked.Id, new string('答', 1001)));
        Assert.Contains("[reply_too_long]", tooLong.Message);

        // Answered: marked, unpinned.
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.MarkAnswered), asked.Id);
        var answered = await b.WaitForAsync<QuestionUpdated>(u => u.Question?.Status == QuestionStatuses.Answered);
        Assert.Null(answered.PinnedQuestionId);
        Assert.NotNull(answered.Question!.AnsweredAt);

        // A second question, dismissed: it never reaches the other viewer; pinning it is refused.
        var offTopic = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "广告：低价出售", "k2", false);
        await moderator.WaitForAsync<ModerationQuestionChanged>(c => c.Question?.Id == offTopic.Id);
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.DismissQuestion), offTopic.Id);
        await moderator.WaitForAsync<ModerationQuestionChanged>(c => c.Question?.Id == offTopic.Id && c.Question.Status == QuestionStatuses.Dismissed);
        await a.WaitForAsync<QuestionView>(q => q.Id == offTopic.Id && q.Status == QuestionStatuses.Dismissed);
        var pinDismissed = await Assert.ThrowsAsync<HubException>(() => moderator.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)offTopic.Id));
        Assert.Contains("[question_not_live]", pinDismissed.Message);
        Assert.DoesNotContain("低价出售", JsonSerializer.Serialize(b.Received.ToArray()));

        // A third, approved then dismissed: it leaves the other viewer's list.
        var third = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "第三个问题", "k3", false);
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.ApproveQuestion), third.Id);
        await b.WaitForAsync<QuestionUpdated>(u => u.Question?.Id == third.Id);
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.DismissQuestion), third.Id);
        await b.WaitForAsync<QuestionUpdated>(u => u.QuestionId == third.Id && u.Question is null);
        var final = await b.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions));
        Assert.Equal([asked.Id], final.Questions.Select(q => q.Id));

        // With approval on, an approved question that its asker edits waits for approval again: the
        // text on the screens cannot become something no moderator saw.
        var fourth = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "第四个问题", "k4", false);
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.ApproveQuestion), fourth.Id);
        await b.WaitForAsync<QuestionUpdated>(u => u.Question?.Id == fourth.Id);
        var rewritten = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.EditQuestion), fourth.Id, "改成了别的内容");
        Assert.Equal(QuestionStatuses.Pending, rewritten.Status);
        await b.WaitForAsync<QuestionUpdated>(u => u.QuestionId == fourth.Id && u.Question is null);
        Assert.DoesNotContain("改成了别的内容", JsonSerializer.Serialize(b.Received.ToArray()));
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.DismissQuestion), fourth.Id);

        // The moderator's state (reloaded) has all three, each with its status; the export says the same.
        var state = await moderator.InvokeAsync<ModerationState>(nameof(IExchangeHub.GetModeration));
        Assert.Equal([QuestionStatuses.Answered, QuestionStatuses.Dismissed, QuestionStatuses.Dismissed, QuestionStatuses.Dismissed], state.Questions.Select(q => q.Status));
        var csv = await organiser.GetStringAsync($"/api/sessions/{session.Id}/exports/questions/questions.csv?lang=zh");
        Assert.Contains("社区志愿者怎么排班？", csv);
        Assert.Contains("已回答", csv);
        Assert.Contains("排班表在第3页。", csv);
        Assert.Contains("已驳回", csv);

        // The moderator's screen counts as the host agency's attendance.
        var attendance = (await organiser.GetFromJsonAsync<LiveExchange.Hub.Attendance.ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json))!;
        Assert.Contains(attendance, p => p.Role == ParticipantRoles.Moderator);
    }

    [Fact]
    public async Task An_anonymous_question_hides_its_asker_from_other_viewers_only()
    {
        var (session, invited) = await _api.ScheduleAsync();
        await using var moderator = await LiveClient.ConnectAsync(_api.BaseAddress, ModeratorToken(session));
        var asker = await _api.JoinAsync(session.Code, invited[0].Id, "匿名的李华", 6);
        var other = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏", 3);
        await using var a = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken);
        await using var b = await LiveClient.ConnectAsync(_api.BaseAddress, other.ParticipantToken);

        var askerId = (await a.WaitForAsync<SessionSnapshot>(_ => true)).MyParticipantId;
        var asked = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "经费不够怎么办？", (string?)null, true);
        Assert.True(asked.Anonymous);
        Assert.Equal(invited[0].Name, asked.AgencyName); // the asker knows its own
        var seen = await b.WaitForAsync<QuestionAsked>(q => q.Question.Text == "经费不够怎么办？");
        Assert.Equal((0L, "", "", "", true), (seen.Question.ParticipantId, seen.Question.AgencyName, seen.Question.City, seen.Question.DisplayName, seen.Question.Anonymous));

        // The moderator sees who asked; it can be upvoted by the other viewer all the same.
        var full = (await moderator.WaitForAsync<ModerationQuestionChanged>(c => c.Question?.Id == asked.Id)).Question!;
        Assert.Equal((invited[0].Name, invited[0].City, "匿名的李华", askerId), (full.AgencyName, full.City, full.DisplayName, full.ParticipantId));
        await b.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), asked.Id);
        await b.WaitForAsync<VotesChanged>(v => v.Counts.Any(c => c.QuestionId == asked.Id && c.Votes == 1));

        // Nothing the other viewer received, nor its snapshot, names the asker.
        var snapshot = await b.InvokeAsync<SessionSnapshot>(nameof(IExchangeHub.GetSnapshot));
        var everything = JsonSerializer.Serialize(b.Received.ToArray()) + JsonSerializer.Serialize(snapshot);
        Assert.DoesNotContain(invited[0].Name, everything);
        Assert.DoesNotContain("匿名的李华", everything);
        Assert.DoesNotContain($"\"ParticipantId\":{askerId},", everything);
        Assert.Empty(snapshot.Questions.Mine!);
        // The asker's own snapshot has it in full.
        var own = await a.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions));
        Assert.Equal(invited[0].Name, Assert.Single(own.Mine!).AgencyName);

        // The organiser's export names the agency and says the question was anonymous.
        using var organiser = _api.Organiser();
        var csv = await organiser.GetStringAsync($"/api/sessions/{session.Id}/exports/questions/questions.csv?lang=en");
        Assert.Contains($"经费不够怎么办？,{invited[0].Name},{invited[0].City},匿名的李华,Yes,Shown,1,No,", csv);
    }

    [Fact]
    public async Task The_asker_edits_and_withdraws_until_the_question_is_answered()
    {
        var (session, invited) = await _api.ScheduleAsync();
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var asker = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        var other = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏");
        await using var a = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken);
        await using var b = await LiveClient.ConnectAsync(_api.BaseAddress, other.ParticipantToken);

        var first = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "志愿者怎么招幕？", (string?)null, false);
        var edited = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.EditQuestion), first.Id, "志愿者怎么招募？");
        Assert.NotNull(edited.EditedAt);
        await b.WaitForAsync<QuestionUpdated>(u => u.Question?.Text == "志愿者怎么招募？");
        var notMine = await Assert.ThrowsAsync<HubException>(() => b.InvokeAsync<QuestionView>(nameof(IExchangeHub.EditQuestion), first.Id, "改别人的"));
        Assert.Contains("[not_your_question]", notMine.Message);
        var notMineWithdrawn = await Assert.ThrowsAsync<HubException>(() => b.InvokeAsync<object>(nameof(IExchangeHub.WithdrawQuestion), first.Id));
        Assert.Contains("[not_your_question]", notMineWithdrawn.Message);
        var empty = await Assert.ThrowsAsync<HubException>(() => a.InvokeAsync<QuestionView>(nameof(IExchangeHub.EditQuestion), first.Id, "  "));
        Assert.Contains("[question_empty]", empty.Message);

        // The host (a moderator too) answers it: from then on it stays as it is.
        await host.InvokeAsync<object>(nameof(IExchangeHub.MarkAnswered), first.Id);
        await a.WaitForAsync<QuestionView>(q => q.Id == first.Id && q.Status == QuestionStatuses.Answered);
        var late = await Assert.ThrowsAsync<HubException>(() => a.InvokeAsync<QuestionView>(nameof(IExchangeHub.EditQuestion), first.Id, "再改"));
        Assert.Contains("[question_answered]", late.Message);
        var lateWithdraw = await Assert.ThrowsAsync<HubException>(() => a.InvokeAsync<object>(nameof(IExchangeHub.WithdrawQuestion), first.Id));
        Assert.Contains("[question_answered]", lateWithdraw.Message);

        // A second one, withdrawn: it leaves every list, and cannot be changed or voted on after.
        var second = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "问错了", (string?)null, false);
        await b.WaitForAsync<QuestionAsked>(q => q.Question.Id == second.Id);
        await a.InvokeAsync<object>(nameof(IExchangeHub.WithdrawQuestion), second.Id);
        await b.WaitForAsync<QuestionUpdated>(u => u.QuestionId == second.Id && u.Question is null);
        var closed = await Assert.ThrowsAsync<HubException>(() => a.InvokeAsync<QuestionView>(nameof(IExchangeHub.EditQuestion), second.Id, "再来"));
        Assert.Contains("[question_closed]", closed.Message);
        var vote = await Assert.ThrowsAsync<HubException>(() => b.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), second.Id));
        Assert.Contains("[question_not_found]", vote.Message);
        Assert.Equal([first.Id], (await b.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions))).Questions.Select(q => q.Id));
    }

    [Fact]
    public async Task Votes_taken_back_leave_every_viewer_with_the_database_count()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var asker = await _api.JoinAsync(session.Code, invited[0].Id, "提问者");
        await using var a = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken);
        var question = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "投票能撤回吗？", (string?)null, false);

        // Five voters from two agencies (the fixture lets an agency give three votes).
        var voters = new List<LiveClient>();
        foreach (var (agency, i) in new[] { invited[1], invited[1], invited[1], invited[2], invited[2] }.Select((x, i) => (x, i)))
        {
            var joined = await _api.JoinAsync(session.Code, agency.Id, $"投票{i}");
            voters.Add(await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken));
        }

        try
        {
            // Up, down, up again, in parallel: counts go down as well as up.
            await Task.WhenAll(voters.Select(v => v.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), question.Id)));
            await Task.WhenAll(voters.Take(4).Select(v => v.InvokeAsync<VoteCount>(nameof(IExchangeHub.Unvote), question.Id)));
            await Task.WhenAll(voters.Take(2).Select(v => v.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), question.Id)));
            // Taking back a vote not given, or giving one twice, changes nothing and is no error.
            var none = await voters[3].InvokeAsync<VoteCount>(nameof(IExchangeHub.Unvote), question.Id);
            var twice = await voters[0].InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), question.Id);
            Assert.Equal(3, none.Votes);
            Assert.Equal(3, twice.Votes);

            var inDatabase = (await a.InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions))).Questions.Single().Votes;
            Assert.Equal(3, inDatabase);

            // What each screen ends with, keeping per question the count with the highest sequence (as live.ts does).
            foreach (var client in voters.Append(a))
            {
                await WaitUntilAsync(() => Kept(client, question.Id) == inDatabase,
                    () => $"kept {Kept(client, question.Id)}, database {inDatabase}");
            }

            var mine = await voters[0].InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions));
            Assert.Equal([question.Id], mine.MyVotes);
            Assert.True(mine.VoteSequence > 0); // counts went out, each flush under a new sequence
            Assert.Empty((await voters[3].InvokeAsync<QuestionsState>(nameof(IExchangeHub.GetQuestions))).MyVotes);
        }
        finally
        {
            foreach (var v in voters)
            {
                await v.DisposeAsync();
            }
        }
    }

    private static int? Kept(LiveClient client, long questionId)
    {
        (long Sequence, int Votes)? kept = null;
        foreach (var count in client.Received.OfType<VotesChanged>().SelectMany(v => v.Counts).Where(c => c.QuestionId == questionId))
        {
            if (kept is null || count.Sequence >= kept.Value.Sequence)
            {
                kept = (count.Sequence, count.Votes);
            }
        }

        return kept?.Votes;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, Func<string> describe, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(describe());
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Only_moderators_moderate_a_moderator_cannot_turn_pages_and_only_the_organiser_sets_approval()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        var asker = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        await using var a = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken);
        await using var moderator = await LiveClient.ConnectAsync(_api.BaseAddress, ModeratorToken(session));
        var q = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "谁能管理问题？", (string?)null, false);

        var calls = new (string Method, object?[] Args)[]
        {
            (nameof(IExchangeHub.GetModeration), []),
            (nameof(IExchangeHub.ApproveQuestion), [q.Id]),
            (nameof(IExchangeHub.DismissQuestion), [q.Id]),
            (nameof(IExchangeHub.MarkAnswered), [q.Id]),
            (nameof(IExchangeHub.PinQuestion), [(long?)q.Id]),
            (nameof(IExchangeHub.ReplyToQuestion), [q.Id, "我来回答"]),
        };
        foreach (var (method, args) in calls)
        {
            var refused = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<object>(method, args));
            Assert.Contains("[moderator_only]", refused.Message);
        }

        // Refused calls changed nothing.
        var state = await moderator.InvokeAsync<ModerationState>(nameof(IExchangeHub.GetModeration));
        Assert.Equal((QuestionStatuses.Live, null, (long?)null), (state.Questions.Single().Status, state.Questions.Single().Reply, state.PinnedQuestionId));

        // The moderator link runs the Q&A, nothing else.
        var page = await Assert.ThrowsAsync<HubException>(() => moderator.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 2));
        Assert.Contains("[host_only]", page.Message);
        var ask = await Assert.ThrowsAsync<HubException>(() => moderator.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "?", (string?)null, false));
        Assert.Contains("[viewer_only]", ask.Message);
        var hands = await Assert.ThrowsAsync<HubException>(() => moderator.InvokeAsync<HandsState>(nameof(IExchangeHub.GetHands)));
        Assert.Contains("[host_only]", hands.Message);
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)q.Id);
        await viewer.WaitForAsync<QuestionUpdated>(u => u.PinnedQuestionId == q.Id);
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)null);
        await viewer.WaitForAsync<QuestionUpdated>(u => u.PinnedQuestionId is null);

        // The setting is the organiser's: host, moderator and viewer links are refused; bad input is a problem.
        foreach (var token in new[] { session.HostToken, ModeratorToken(session), joined.ParticipantToken })
        {
            using var http = _api.Client(token);
            await Api.AssertProblemAsync(await SetApprovalAsync(http, session.Id, true), HttpStatusCode.Forbidden, "forbidden");
        }

        using var organiser = _api.Organiser();
        await Api.AssertProblemAsync(await SetApprovalAsync(organiser, 999_999, true), HttpStatusCode.NotFound, "session_not_found");
        var bad = await organiser.PutAsync($"/api/sessions/{session.Id}/moderation",
            new StringContent("{\"questionsNeedApproval\": \"maybe\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.False((await moderator.InvokeAsync<ModerationState>(nameof(IExchangeHub.GetModeration))).QuestionsNeedApproval);

        // The organiser removes the asker: its question leaves the moderators' queue too.
        var askerId = (await a.WaitForAsync<SessionSnapshot>(_ => true)).MyParticipantId;
        Assert.True((await organiser.DeleteAsync($"/api/sessions/{session.Id}/participants/{askerId}")).IsSuccessStatusCode);
        await moderator.WaitForAsync<ModerationState>(m => m.Questions.Count == 0);
        await viewer.WaitForAsync<QuestionsState>(s => s.Questions.Count == 0);
    }
}

public sealed class ModerationOnPostgres(PostgresAppFixture fixture) : ModerationBehaviour(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class ModerationOnSqlite(SqliteAppFixture fixture) : ModerationBehaviour(fixture.App), IClassFixture<SqliteAppFixture>;

/// <summary>The moderator on one hub instance, viewers on the other.</summary>
public sealed class ModerationAcrossInstancesTests(TwoInstances hubs) : IClassFixture<TwoInstances>
{
    private readonly Api _onA = new(hubs.A.BaseAddress);
    private readonly Api _onB = new(hubs.B.BaseAddress);

    [Fact]
    public async Task A_moderator_on_A_approves_a_question_asked_on_B_and_a_retried_question_on_the_other_instance_is_stored_once()
    {
        var (session, invited) = await _onA.ScheduleAsync();
        using var organiser = _onA.Organiser();
        Assert.Equal(HttpStatusCode.OK, (await ModerationBehaviour.SetApprovalAsync(organiser, session.Id, true)).StatusCode);
        await using var moderator = await LiveClient.ConnectAsync(hubs.A.BaseAddress, ModerationBehaviour.ModeratorToken(session));
        var asker = await _onB.JoinAsync(session.Code, invited[0].Id, "李华");
        var other = await _onB.JoinAsync(session.Code, invited[1].Id, "赵敏");
        await using var b = await LiveClient.ConnectAsync(hubs.B.BaseAddress, other.ParticipantToken);

        // Asked on B; the connection drops (the client cannot know whether it was stored) and the page
        // comes back on A and sends it again with the same key: one question.
        QuestionView asked;
        await using (var a = await LiveClient.ConnectAsync(hubs.B.BaseAddress, asker.ParticipantToken))
        {
            asked = await a.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "跨实例的问题", "retry-1", false);
        }

        await using var again = await LiveClient.ConnectAsync(hubs.A.BaseAddress, asker.ParticipantToken);
        var retried = await again.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "跨实例的问题", "retry-1", false);
        Assert.Equal(asked.Id, retried.Id);

        // Pending: the moderator on A has it (once), the other viewer on B nothing.
        await ModerationBehaviour.WaitUntilAsync(() => moderator.ModerationQueue()?.Questions.Any(q => q.Id == asked.Id) == true,
            () => "the moderator on A has not the question asked on B");
        await Task.Delay(300);
        Assert.Single(moderator.ModerationQueue()!.Questions);
        Assert.DoesNotContain("跨实例的问题", System.Text.Json.JsonSerializer.Serialize(b.Received.ToArray()));

        // Approved on A: reaches B; pinned on A: B shows it pinned.
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.ApproveQuestion), asked.Id);
        await b.WaitForAsync<QuestionUpdated>(u => u.Question?.Id == asked.Id && u.Question.Status == QuestionStatuses.Live);
        await moderator.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)asked.Id);
        await b.WaitForAsync<QuestionUpdated>(u => u.PinnedQuestionId == asked.Id);
        await again.WaitForAsync<QuestionView>(q => q.Id == asked.Id && q.Status == QuestionStatuses.Live);

        // A vote on B, taken back on A (the same viewer reconnected there): both instances end at 0.
        await b.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), asked.Id);
        await using var bOnA = await LiveClient.ConnectAsync(hubs.A.BaseAddress, other.ParticipantToken);
        var undone = await bOnA.InvokeAsync<VoteCount>(nameof(IExchangeHub.Unvote), asked.Id);
        Assert.Equal(0, undone.Votes);
        await ModerationBehaviour.WaitUntilAsync(
            () => b.Received.OfType<VotesChanged>().SelectMany(v => v.Counts).Where(c => c.QuestionId == asked.Id).MaxBy(c => c.Sequence)?.Votes == 0,
            () => "the viewer on B did not end at 0 votes");
        var rows = (await organiser.GetStringAsync($"/api/sessions/{session.Id}/exports/questions/questions.csv?lang=en"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(rows, r => r.StartsWith("跨实例的问题,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Moderators_on_both_instances_acting_at_once_get_every_change_once_and_end_with_the_whole_queue()
    {
        // The moderator link on A and the host on B moderate at the same time. Each instance delivers its own
        // changes without waiting for Redis; without ordering, a moderator would see the other instance's
        // earlier change after its own later one: a gap, and a reload of the whole queue.
        var (session, invited) = await _onA.ScheduleAsync();
        using var organiser = _onA.Organiser();
        Assert.Equal(HttpStatusCode.OK, (await ModerationBehaviour.SetApprovalAsync(organiser, session.Id, true)).StatusCode);
        await using var moderatorOnA = await LiveClient.ConnectAsync(hubs.A.BaseAddress, ModerationBehaviour.ModeratorToken(session));
        await using var hostOnB = await LiveClient.ConnectAsync(hubs.B.BaseAddress, session.HostToken);
        await using var moderatorOnB = await LiveClient.ConnectAsync(hubs.B.BaseAddress, ModerationBehaviour.ModeratorToken(session));
        await using var hostOnA = await LiveClient.ConnectAsync(hubs.A.BaseAddress, session.HostToken);
        LiveClient[] watchers = [moderatorOnA, hostOnB, moderatorOnB, hostOnA];
        var from = new List<long>();
        foreach (var watcher in watchers)
        {
            from.Add((await watcher.WaitForAsync<SessionSnapshot>(_ => true)).Moderation!.Version);
        }

        // An instance learns where a stream stands from the first of its events it delivers (unpinning: no question).
        await moderatorOnA.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)null);
        foreach (var (watcher, start) in watchers.Zip(from))
        {
            await watcher.WaitForAsync<ModerationQuestionChanged>(c => c.Version == start + 1);
        }

        // Twenty questions, asked at once from four screens, two on each instance.
        var askers = new List<LiveClient>();
        try
        {
            foreach (var (api, url, i) in new[] { (_onA, hubs.A.BaseAddress, 0), (_onB, hubs.B.BaseAddress, 1), (_onA, hubs.A.BaseAddress, 2), (_onB, hubs.B.BaseAddress, 3) })
            {
                var joined = await api.JoinAsync(session.Code, invited[i % invited.Length].Id, $"提问者{i}");
                askers.Add(await LiveClient.ConnectAsync(url, joined.ParticipantToken));
            }

            var asked = await Task.WhenAll(askers.Select(async (asker, i) =>
            {
                var mine = new List<QuestionView>();
                for (var q = 0; q < 5; q++)
                {
                    mine.Add(await asker.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), $"问题 {i}-{q}", (string?)null, false));
                }

                return mine;
            }));
            var questions = asked.SelectMany(q => q).ToList();

            static async Task ModerateAsync(LiveClient moderator, IEnumerable<QuestionView> mine)
            {
                foreach (var q in mine)
                {
                    await moderator.InvokeAsync<object>(nameof(IExchangeHub.ApproveQuestion), q.Id);
                    await moderator.InvokeAsync<object>(nameof(IExchangeHub.ReplyToQuestion), q.Id, $"回复 {q.Id}");
                }
            }

            await Task.WhenAll(ModerateAsync(moderatorOnA, questions.Take(8)), ModerateAsync(hostOnB, questions.Skip(8).Take(8)));
            var whole = await moderatorOnA.InvokeAsync<ModerationState>(nameof(IExchangeHub.GetModeration));
            foreach (var (watcher, start) in watchers.Zip(from))
            {
                // The first change, twenty questions asked, then thirty-two changes: each exactly once.
                var expected = Enumerable.Range(1, 53).Select(i => start + i).ToArray();
                await ModerationBehaviour.WaitUntilAsync(() => watcher.Received.OfType<ModerationQuestionChanged>().Count() >= expected.Length,
                    () => $"{watcher.Received.OfType<ModerationQuestionChanged>().Count()} of {expected.Length} changes arrived");
                var arrived = watcher.Received.OfType<ModerationQuestionChanged>().Select(c => c.Version).ToArray();
                Assert.Equal(expected, arrived.Order());
                // Order is not asserted here: each instance holds an event that skips a version until the missing
                // one comes from the other instance, but for at most LocalFirstLifetimeManager.GapWait (200 ms), and
                // on a loaded machine a Redis message can be later than that (seen once in a full test run: 3, 4,
                // 6, 7, 8, ..., then 5). It is then delivered late and the page reloads the queue whole
                // (ModerationInBrowserTests). The holding itself is asserted by
                // TwoInstanceTests.Pages_turned_at_once_from_both_instances_reach_every_viewer_on_each_in_version_order.
                Assert.Equal(System.Text.Json.JsonSerializer.Serialize(whole), System.Text.Json.JsonSerializer.Serialize(watcher.ModerationQueueInVersionOrder()));
            }
        }
        finally
        {
            foreach (var asker in askers)
            {
                await asker.DisposeAsync();
            }
        }
    }
}
