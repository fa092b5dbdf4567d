using System.Net;
using System.Net.Http.Json;
using Dapper;
using LiveExchange.Hub.Polls;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using static LiveExchange.Tests.Polls.PollSteps;

namespace LiveExchange.Tests.Polls;

/// <summary>Polls through HTTP (preparing) and the hub (running, answering), on both databases.</summary>
public abstract class PollTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    [Fact]
    public async Task A_poll_prepared_days_before_runs_once_and_counts_exactly_per_screen_and_by_headcount()
    {
        // Prepared three days before, when no one can join yet.
        var (session, invited) = await _api.ScheduleAsync("三天后", DateTimeOffset.UtcNow.AddDays(3), DateTimeOffset.UtcNow.AddDays(3).AddHours(2));
        Assert.Equal("scheduled", session.State);
        var choice = await PrepareAsync(_api, session, PollKinds.Single, "  您的机构主要服务哪类人群？ ", ["老年人", "青少年", "残障人士"],
            counting: PollCountings.People);
        Assert.Equal("您的机构主要服务哪类人群？", choice.Question);
        Assert.Equal(PollStates.Draft, choice.State);
        var draft = await PrepareAsync(_api, session, PollKinds.Multiple, "草稿", ["甲", "乙"]);
        using var asHost = _api.Client(session.HostToken);
        var edited = await asHost.PutAsJsonAsync($"/api/sessions/{session.Id}/polls/{draft.Id}",
            new PollDraftInput(PollKinds.Multiple, "您希望下次讨论哪些主题？", ["社区防疫", "志愿者管理", "为老服务"], PollResultModes.Live, PollCountings.Screens));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        var words = await PrepareAsync(_api, session, PollKinds.Words, "用一个词形容今天的交流");
        var doomed = await PrepareAsync(_api, session, PollKinds.Rating, "要删除的");
        Assert.Equal(HttpStatusCode.NoContent, (await asHost.DeleteAsync($"/api/sessions/{session.Id}/polls/{doomed.Id}")).StatusCode);
        var list = (await asHost.GetFromJsonAsync<PollList>($"/api/sessions/{session.Id}/polls", Api.Json))!;
        Assert.Equal([choice.Id, draft.Id, words.Id], list.Polls.Select(p => p.Id));
        Assert.Equal(["社区防疫", "志愿者管理", "为老服务"], list.Polls[1].Options);
        Assert.Equal(PollBoard.Limits, list.Limits);

        // The organiser opens joining; four screens of 6, 3, 1 and 12 people.
        using var organiser = _api.Organiser();
        (await organiser.PostAsync($"/api/sessions/{session.Id}/open", null)).EnsureSuccessStatusCode();
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var viewers = new List<LiveClient>();
        foreach (var (agency, name, headcount) in new[] { (0, "李华", 6), (1, "赵敏", 3), (2, "孙丽", 1), (0, "王芳", 12) })
        {
            var joined = await _api.JoinAsync(session.Code, invited[agency].Id, name, headcount);
            viewers.Add(await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken));
        }

        try
        {
            var launched = await LaunchAsync(host, choice.Id);
            Assert.Equal(choice.Id, launched.Open!.Id);
            foreach (var v in viewers)
            {
                var seen = await v.WaitForAsync<PollsState>(p => p.Open?.Id == choice.Id);
                Assert.Equal(["老年人", "青少年", "残障人士"], seen.Open!.Options);
                Assert.Equal(PollCountings.People, seen.Open.Counting);
            }

            // One at a time; a launched poll is no longer a draft.
            var second = await Assert.ThrowsAsync<HubException>(() => LaunchAsync(host, draft.Id));
            Assert.Contains("[poll_already_open]", second.Message);
            await Api.AssertProblemAsync(await asHost.DeleteAsync($"/api/sessions/{session.Id}/polls/{choice.Id}"), HttpStatusCode.Conflict, "poll_not_draft");

            await ChooseAsync(viewers[0], choice.Id, null, 0);
            await ChooseAsync(viewers[1], choice.Id, null, 1);
            await ChooseAsync(viewers[2], choice.Id, null, 1);
            await ChooseAsync(viewers[3], choice.Id, null, 0);
            var changed = await ChooseAsync(viewers[3], choice.Id, null, 2); // changes its mind
            Assert.Equal([2], changed.Options);

            // Exact both ways: per screen (1, 2, 1 of 4) and by headcount (6, 4, 12 of 22 people).
            (string, int, int)[] expected = [("0", 1, 6), ("1", 2, 4), ("2", 1, 12)];
            var onHost = await ResultsAsync(host, choice.Id, expected);
            Assert.Equal((4, 22, PollCountings.People), (onHost.Screens, onHost.People, onHost.Counting));
            await ResultsAsync(viewers[1], choice.Id, expected); // live results reach viewers too

            // Closing sends the final results to everyone; answers after it are refused.
            var closed = await CloseAsync(host, choice.Id);
            Assert.Null(closed.Open);
            Assert.Equal(expected, Items(closed.Closed[0].Tally!));
            foreach (var v in viewers)
            {
                var final = await v.WaitForAsync<PollsState>(p => p.Closed.Any(c => c.Id == choice.Id));
                Assert.Equal(expected, Items(final.Closed.Single(c => c.Id == choice.Id).Tally!));
                Assert.True(final.Closed[0].Tally!.Final);
            }

            var late = await Assert.ThrowsAsync<HubException>(() => ChooseAsync(viewers[0], choice.Id, null, 1));
            Assert.Contains("[poll_not_open]", late.Message);
            var again = await Assert.ThrowsAsync<HubException>(() => LaunchAsync(host, choice.Id));
            Assert.Contains("[poll_already_closed]", again.Message);

            // Multiple choice, per screen.
            await LaunchAsync(host, draft.Id);
            await ChooseAsync(viewers[0], draft.Id, null, 0, 2);
            await ChooseAsync(viewers[1], draft.Id, null, 2);
            await ChooseAsync(viewers[2], draft.Id, null, 1, 0, 2);
            await ResultsAsync(host, draft.Id, ("0", 2, 7), ("1", 1, 1), ("2", 3, 10));
            await CloseAsync(host, draft.Id);

            // Words: normalised (spaces, Latin case), one count per screen however often a screen repeats it.
            await LaunchAsync(host, words.Id);
            var said = await SayAsync(viewers[0], words.Id, " Team  Work ", "社区", "team work");
            Assert.Equal(["team work", "社区"], said.Words);
            await SayAsync(viewers[1], words.Id, "TEAM WORK");
            await SayAsync(viewers[2], words.Id, "社区");
            await ResultsAsync(host, words.Id, ("team work", 2, 9), ("社区", 2, 7));
            await CloseAsync(host, words.Id);

            // A reconnecting screen finds the closed polls with their results in its snapshot.
            var joinedLate = await _api.JoinAsync(session.Code, invited[1].Id, "周杰", 2);
            await using var lateViewer = await LiveClient.ConnectAsync(_api.BaseAddress, joinedLate.ParticipantToken);
            var snapshot = await lateViewer.WaitForAsync<SessionSnapshot>(_ => true);
            Assert.Equal([words.Id, draft.Id, choice.Id], snapshot.Polls!.Closed.Select(p => p.Id));
            Assert.Equal(expected, Items(snapshot.Polls.Closed[2].Tally!));
        }
        finally
        {
            foreach (var v in viewers)
            {
                await v.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_participant_the_organiser_removes_stops_counting_in_the_open_poll_on_every_screen()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var poll = await PrepareAsync(_api, session, PollKinds.Single, "下次交流选哪个主题？", ["社区防疫", "为老服务"], counting: PollCountings.People);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var viewers = new List<LiveClient>();
        foreach (var (agency, name, headcount) in new[] { (0, "李华", 5), (1, "赵敏", 2), (0, "刷票", 7) })
        {
            var joined = await _api.JoinAsync(session.Code, invited[agency].Id, name, headcount);
            viewers.Add(await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken));
        }

        try
        {
            await LaunchAsync(host, poll.Id);
            await ChooseAsync(viewers[0], poll.Id, null, 0);
            await ChooseAsync(viewers[1], poll.Id, null, 1);
            await ChooseAsync(viewers[2], poll.Id, null, 0);
            await ResultsAsync(host, poll.Id, ("0", 2, 12), ("1", 1, 2));
            await ResultsAsync(viewers[0], poll.Id, ("0", 2, 12), ("1", 1, 2));

            // The organiser removes the stuffing screen: its answer leaves the results on every screen, at once
            // (newer results, though no one answered since), and stays out of the final results and a reload.
            var removed = (await viewers[2].WaitForAsync<SessionSnapshot>(_ => true)).MyParticipantId;
            using var organiser = _api.Organiser();
            Assert.Equal(HttpStatusCode.NoContent, (await organiser.DeleteAsync($"/api/sessions/{session.Id}/participants/{removed}")).StatusCode);
            var onHost = await ResultsAsync(host, poll.Id, ("0", 1, 5), ("1", 1, 2));
            Assert.Equal((2, 7), (onHost.Screens, onHost.People));
            await ResultsAsync(viewers[0], poll.Id, ("0", 1, 5), ("1", 1, 2));
            var closed = await CloseAsync(host, poll.Id);
            Assert.Equal([("0", 1, 5), ("1", 1, 2)], Items(closed.Closed.Single(p => p.Id == poll.Id).Tally!));
            var reloaded = await viewers[1].InvokeAsync<PollsState>(nameof(IExchangeHub.GetPolls));
            Assert.Equal((2, 7), (reloaded.Closed.Single(p => p.Id == poll.Id).Tally!.Screens, reloaded.Closed.Single(p => p.Id == poll.Id).Tally!.People));
        }
        finally
        {
            foreach (var v in viewers)
            {
                await v.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Hidden_results_reach_no_viewer_before_closing_while_the_host_sees_them()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var poll = await PrepareAsync(_api, session, PollKinds.Rating, "今天的内容对您的工作有帮助吗？", results: PollResultModes.Hidden,
            counting: PollCountings.People);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var j1 = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 6);
        var j2 = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏", 3);
        await using var v1 = await LiveClient.ConnectAsync(_api.BaseAddress, j1.ParticipantToken);
        var v2 = await LiveClient.ConnectAsync(_api.BaseAddress, j2.ParticipantToken);
        await LaunchAsync(host, poll.Id);
        await v1.WaitForAsync<PollsState>(p => p.Open?.Id == poll.Id);

        var mine = await RateAsync(v1, poll.Id, 5);
        Assert.Equal(5, mine.Rating);
        await RateAsync(v2, poll.Id, 3);
        await RateAsync(v2, poll.Id, 4);

        // The host gets the counts; the viewers get none: not as events, not in GetPolls, not in a snapshot.
        var onHost = await ResultsAsync(host, poll.Id, ("4", 1, 3), ("5", 1, 6));
        Assert.Equal((2, 9), (onHost.Screens, onHost.People));
        var hostView = await host.InvokeAsync<PollsState>(nameof(IExchangeHub.GetPolls));
        Assert.Equal(Items(onHost), Items(hostView.Open!.Tally!));
        var polled = await v1.InvokeAsync<PollsState>(nameof(IExchangeHub.GetPolls));
        Assert.Null(polled.Open!.Tally);
        Assert.Equal(5, polled.MyAnswer!.Rating); // but its own answer, yes
        await v2.DisposeAsync(); // a reload: the snapshot has my answer and no counts
        await using var v2Again = await LiveClient.ConnectAsync(_api.BaseAddress, j2.ParticipantToken);
        var reloaded = (await v2Again.WaitForAsync<SessionSnapshot>(_ => true)).Polls!;
        Assert.Null(reloaded.Open!.Tally);
        Assert.Equal(4, reloaded.MyAnswer!.Rating);
        await Task.Delay(3 * PollFanout.Window); // a flush that might still come, would come now
        foreach (var viewer in new[] { v1, v2Again })
        {
            AssertNoCounts(viewer);
        }

        // Closed: the final results go to everyone.
        await CloseAsync(host, poll.Id);
        var final = await v1.WaitForAsync<PollsState>(p => p.Closed.Any(c => c.Id == poll.Id));
        Assert.Equal([("4", 1, 3), ("5", 1, 6)], Items(final.Closed[0].Tally!));
        await v2Again.WaitForAsync<PollsState>(p => p.Closed.Any(c => c.Id == poll.Id && c.Tally!.People == 9));
    }

    /// <summary>Every message the viewer received so far: no results of an open poll anywhere.</summary>
    private static void AssertNoCounts(LiveClient viewer)
    {
        Assert.NotEmpty(viewer.Received);
        foreach (var message in viewer.Received)
        {
            switch (message)
            {
                case PollResults results:
                    Assert.Fail($"a viewer received results while hidden: {results}");
                    break;
                case PollsState polls:
                    Assert.Null(polls.Open?.Tally);
                    break;
                case SessionSnapshot snapshot:
                    Assert.Null(snapshot.Polls?.Open?.Tally);
                    break;
            }
        }
    }

    [Fact]
    public async Task An_answer_retried_with_the_same_key_after_a_reconnect_is_stored_once()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var poll = await PrepareAsync(_api, session, PollKinds.Single, "分组讨论用哪种形式？", ["线上", "线下"]);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 4);
        var first = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        await LaunchAsync(host, poll.Id);
        var stored = await ChooseAsync(first, poll.Id, "answer-key-1", 1);
        await first.DisposeAsync();

        // The page did not hear back; after reconnecting it sends the same answer with the same key.
        await using var second = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var retried = await ChooseAsync(second, poll.Id, "answer-key-1", 1);
        Assert.Equal(stored.AnsweredAt, retried.AnsweredAt);
        Assert.Equal((1L, 1L), await AnswerRowsAsync(poll.Id));

        // A new answer (a new key) is a change: still one row, written twice.
        await ChooseAsync(second, poll.Id, "answer-key-2", 0);
        Assert.Equal((1L, 2L), await AnswerRowsAsync(poll.Id));
        await ResultsAsync(host, poll.Id, ("0", 1, 4));
    }

    private async Task<(long Rows, long Revision)> AnswerRowsAsync(long pollId)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        var rows = await connection.ExecuteScalarAsync<long>("select count(*) from poll_answers where poll_id = @pollId", new { pollId });
        var revision = await connection.ExecuteScalarAsync<long>("select max(revision) from poll_answers where poll_id = @pollId", new { pollId });
        return (rows, revision);
    }

    [Fact]
    public async Task A_viewer_can_neither_prepare_nor_launch_nor_close_polls_and_a_host_cannot_answer()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var poll = await PrepareAsync(_api, session, PollKinds.Single, "问题", ["是", "否"]);
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 2);
        using var asViewer = _api.Client(joined.ParticipantToken);
        var body = new PollDraftInput(PollKinds.Single, "问题", ["是", "否"], PollResultModes.Live, PollCountings.Screens);
        var path = $"/api/sessions/{session.Id}/polls";
        Assert.Equal(HttpStatusCode.Forbidden, (await asViewer.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await asViewer.PostAsJsonAsync(path, body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await asViewer.PutAsJsonAsync($"{path}/{poll.Id}", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await asViewer.DeleteAsync($"{path}/{poll.Id}")).StatusCode);

        // Another session's host link does not reach this session's polls.
        var (other, _) = await _api.ScheduleAsync("另一场");
        using var otherHost = _api.Client(other.HostToken);
        await Api.AssertProblemAsync(await otherHost.GetAsync(path), HttpStatusCode.Forbidden, "forbidden");
        await Api.AssertProblemAsync(await otherHost.DeleteAsync($"{path}/{poll.Id}"), HttpStatusCode.Forbidden, "forbidden");

        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        Assert.Contains("[host_only]", (await Assert.ThrowsAsync<HubException>(() => LaunchAsync(viewer, poll.Id))).Message);
        await LaunchAsync(host, poll.Id);
        Assert.Contains("[host_only]", (await Assert.ThrowsAsync<HubException>(() => CloseAsync(viewer, poll.Id))).Message);
        Assert.Contains("[viewer_only]", (await Assert.ThrowsAsync<HubException>(() => ChooseAsync(host, poll.Id, null, 0))).Message);
        await using var otherHostLive = await LiveClient.ConnectAsync(_api.BaseAddress, other.HostToken);
        Assert.Contains("[poll_not_found]", (await Assert.ThrowsAsync<HubException>(() => CloseAsync(otherHostLive, poll.Id))).Message);

        // Still open: nothing the viewer tried changed it.
        var state = await viewer.InvokeAsync<PollsState>(nameof(IExchangeHub.GetPolls));
        Assert.Equal(poll.Id, state.Open!.Id);
        var list = (await _api.Client(session.HostToken).GetFromJsonAsync<PollList>(path, Api.Json))!;
        Assert.Single(list.Polls);
    }

    [Fact]
    public async Task Polls_and_answers_that_do_not_fit_are_refused_with_their_reason()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var asHost = _api.Client(session.HostToken);
        var path = $"/api/sessions/{session.Id}/polls";
        async Task RefusedAsync(string code, string kind, string question, string[]? options, string results = "live", string counting = "screens") =>
            await Api.AssertProblemAsync(await asHost.PostAsJsonAsync(path, new PollDraftInput(kind, question, options, results, counting)),
                HttpStatusCode.BadRequest, code);
        await RefusedAsync("poll_kind_invalid", "essay", "问题", null);
        await RefusedAsync("poll_question_invalid", PollKinds.Rating, "   ", null);
        await RefusedAsync("poll_question_invalid", PollKinds.Rating, new string('问', PollRules.QuestionMax + 1), null);
        await RefusedAsync("poll_options_count", PollKinds.Single, "问题", ["只有一个"]);
        await RefusedAsync("poll_options_count", PollKinds.Multiple, "问题", Enumerable.Range(1, PollRules.OptionsMax + 1).Select(i => $"选项{i}").ToArray());
        await RefusedAsync("poll_options_duplicate", PollKinds.Single, "问题", ["Yes", "yes "]);
        await RefusedAsync("poll_option_invalid", PollKinds.Single, "问题", ["是", new string('长', PollRules.OptionMax + 1)]);
        await RefusedAsync("not_text", PollKinds.Single, "问题\u202E", ["是", "否"]);
        await RefusedAsync("validation", PollKinds.Rating, "问题", null, results: "sometimes");
        await RefusedAsync("validation", PollKinds.Rating, "问题", null, counting: "agencies");
        var list = (await asHost.GetFromJsonAsync<PollList>(path, Api.Json))!;
        Assert.Empty(list.Polls);

        var single = await PrepareAsync(_api, session, PollKinds.Single, "单选", ["是", "否"]);
        var rating = await PrepareAsync(_api, session, PollKinds.Rating, "评分");
        var words = await PrepareAsync(_api, session, PollKinds.Words, "关键词");
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 2);
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        async Task AnswerRefusedAsync(string code, long pollId, PollAnswerInput answer, string? key = null) =>
            Assert.Contains($"[{code}]", (await Assert.ThrowsAsync<HubException>(() =>
                viewer.InvokeAsync<MyPollAnswer>(nameof(IExchangeHub.AnswerPoll), pollId, answer, key))).Message);

        await AnswerRefusedAsync("poll_not_open", single.Id, new PollAnswerInput([0], null, null)); // still a draft
        await LaunchAsync(host, single.Id);
        await AnswerRefusedAsync("poll_answer_invalid", single.Id, new PollAnswerInput([0, 1], null, null));
        await AnswerRefusedAsync("poll_answer_invalid", single.Id, new PollAnswerInput([2], null, null));
        await AnswerRefusedAsync("poll_answer_empty", single.Id, new PollAnswerInput([], null, null));
        await AnswerRefusedAsync("validation", single.Id, new PollAnswerInput([0], null, null), "not a key!");
        await AnswerRefusedAsync("poll_not_found", 999_999, new PollAnswerInput([0], null, null));
        await CloseAsync(host, single.Id);
        await LaunchAsync(host, rating.Id);
        await AnswerRefusedAsync("poll_answer_invalid", rating.Id, new PollAnswerInput(null, 6, null));
        await AnswerRefusedAsync("poll_answer_invalid", rating.Id, new PollAnswerInput(null, null, null));
        await CloseAsync(host, rating.Id);
        await LaunchAsync(host, words.Id);
        await AnswerRefusedAsync("poll_too_many_words", words.Id, new PollAnswerInput(null, null, ["一", "二", "三", "四"]));
        await AnswerRefusedAsync("poll_word_too_long", words.Id, new PollAnswerInput(null, null, [new string('字', PollRules.WordMax + 1)]));
        await AnswerRefusedAsync("poll_answer_empty", words.Id, new PollAnswerInput(null, null, ["  ", "\u200B"]));
        Assert.Equal(0L, await AnswerCountAsync(session.Id));
    }

    [Fact]
    public async Task The_polls_export_gives_each_poll_its_results_overall_and_per_agency_in_both_languages()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var poll = await PrepareAsync(_api, session, PollKinds.Single, "=下一步重点？", ["社区防疫", "为老服务"], counting: PollCountings.People);
        await PrepareAsync(_api, session, PollKinds.Rating, "还没发起的草稿");
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var screens = new List<LiveClient>();
        foreach (var (agency, headcount) in new[] { (0, 6), (1, 3), (0, 2) })
        {
            var joined = await _api.JoinAsync(session.Code, invited[agency].Id, $"屏幕{screens.Count + 1}", headcount);
            screens.Add(await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken));
        }

        await LaunchAsync(host, poll.Id);
        await ChooseAsync(screens[0], poll.Id, null, 1);
        await ChooseAsync(screens[1], poll.Id, null, 0);
        await ChooseAsync(screens[2], poll.Id, null, 1);
        await CloseAsync(host, poll.Id);
        foreach (var screen in screens)
        {
            await screen.DisposeAsync();
        }

        using var organiser = _api.Organiser();
        // The launch and close times (columns 5 and 6 of the results sheet) are left out of the comparison.
        async Task<string[]> CsvAsync(string sheet, string lang, bool dropTimes = false)
        {
            var bytes = await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/polls/{sheet}.csv?lang={lang}");
            var lines = System.Text.Encoding.UTF8.GetString(bytes[3..]).Split("\r\n")[..^1];
            return lines[(Array.IndexOf(lines, "") + 1)..].Select(l => dropTimes ? string.Join(",", l.Split(',').Where((_, i) => i is not (5 or 6))) : l).ToArray();
        }

        // Weighted by headcount: 3 of 11 people and 8 of 11; the draft is not there; a formula is defused.
        Assert.Equal(
        [
            "No.,Question,Kind,Counting,Results shown,\"Option, rating or word\",Screens,People,Share %,All screens answering,All people answering",
            "1,'=下一步重点？,Single choice,Weighted by headcount,Live,社区防疫,1,3,27.3,3,11",
            "1,'=下一步重点？,Single choice,Weighted by headcount,Live,为老服务,2,8,72.7,3,11",
        ], await CsvAsync("results", "en", dropTimes: true));
        var byAgency = await CsvAsync("agencies", "zh");
        Assert.Equal("序号,问题,类型,机构,选项、评分或词语,作答屏幕数,代表人数,占比 %,全部作答屏幕,全部作答人数", byAgency[0]);
        var first = string.CompareOrdinal(invited[0].Name, invited[1].Name) < 0 ? (invited[0].Name, true) : (invited[1].Name, false);
        string[] zero = [$"1,'=下一步重点？,单选,{invited[0].Name},社区防疫,0,0,0,2,8", $"1,'=下一步重点？,单选,{invited[0].Name},为老服务,2,8,100,2,8"];
        string[] one = [$"1,'=下一步重点？,单选,{invited[1].Name},社区防疫,1,3,100,1,3", $"1,'=下一步重点？,单选,{invited[1].Name},为老服务,0,0,0,1,3"];
        Assert.Equal(first.Item2 ? [.. zero, .. one] : [.. one, .. zero], byAgency[1..]);

        // The workbook: both sheets, numbers as numbers.
        using var book = Spreadsheets.Open(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/polls.xlsx?lang=zh"));
        var rows = Spreadsheets.Rows(book, "投票结果");
        Assert.Equal(6, rows.Length); // three heading lines, the header, two options
        Assert.Equal(["1", "=下一步重点？", "单选", "按人数加权", "实时公布"], rows[4][..5]);
        Assert.Equal(["为老服务", "2", "8", "72.7", "3", "11"], rows[5][7..]);
        Assert.False(Spreadsheets.HasFormula(book, "投票结果"));
        Assert.Equal(4 + 4, Spreadsheets.Rows(book, "按机构").Length); // two agencies × two options
    }

    private async Task<long> AnswerCountAsync(long sessionId)
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        return await connection.ExecuteScalarAsync<long>(
            "select count(*) from poll_answers a join polls p on p.id = a.poll_id where p.session_id = @sessionId", new { sessionId });
    }
}

public sealed class PollTestsOnPostgres(PostgresAppFixture fixture) : PollTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class PollTestsOnSqlite(SqliteAppFixture fixture) : PollTests(fixture.App), IClassFixture<SqliteAppFixture>;
