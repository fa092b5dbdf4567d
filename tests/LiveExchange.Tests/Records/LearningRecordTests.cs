using System.Net;
using Microsoft.AspNetCore.SignalR.Client;
using System.Net.Http.Json;
using LiveExchange.Hub.Demo;
using LiveExchange.Hub.Polls;
using LiveExchange.Hub.Records;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Polls;
using LiveExchange.Tests.Scenarios;
using UglyToad.PdfPig;

namespace LiveExchange.Tests.Records;

/// <summary>The learning record through HTTP and the hub, on both databases.</summary>
public abstract class LearningRecordTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    [Fact]
    public async Task After_the_end_the_record_has_the_shown_questions_with_replies_the_launched_polls_the_agenda_and_attendance_without_names_and_a_pdf_with_the_deck()
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        var (session, invited) = await _api.ScheduleAsync("苏冀云牵手，社工e在线", start, start.AddHours(2));
        using var organiser = _api.Organiser();
        string Local(DateTimeOffset t) => LiveExchange.Bench.Cluster.LocalTime(t);
        Assert.True((await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/agenda", new
        {
            segments = new object[]
            {
                new { title = "疫情防控经验分享", agencyId = (long?)session.HostAgency.Id, startsAt = Local(start), endsAt = Local(start.AddMinutes(60)) },
                new { title = "互动问答", agencyId = (long?)null, startsAt = Local(start.AddMinutes(60)), endsAt = Local(start.AddMinutes(120)) },
            },
        })).IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.Created, (await _api.UploadDeckAsync(session, DemoSession.SampleDeck(3), "疫情防控.pdf")).StatusCode);

        var a = await _api.JoinAsync(session.Code, invited[0].Id, "李华", 3);
        var b = await _api.JoinAsync(session.Code, invited[1].Id, "王芳", 2);
        var c = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏", 4);
        var stuffer = await _api.JoinAsync(session.Code, invited[2].Id, "刷票", 1);
        using var asA = _api.Client(a.ParticipantToken);
        await Api.AssertProblemAsync(await asA.GetAsync($"/api/sessions/{session.Id}/record"), HttpStatusCode.Conflict, "record_not_ready");
        await Api.AssertProblemAsync(await organiser.GetAsync($"/api/sessions/{session.Id}/record.pdf?lang=zh"), HttpStatusCode.Conflict, "record_not_ready");

        await using (var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken))
        await using (var screenA = await LiveClient.ConnectAsync(_api.BaseAddress, a.ParticipantToken))
        await using (var screenB = await LiveClient.ConnectAsync(_api.BaseAddress, b.ParticipantToken))
        await using (var screenC = await LiveClient.ConnectAsync(_api.BaseAddress, c.ParticipantToken))
        {
            var asked = await screenA.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "社区网格员如何排班？", "k1", false);
            var anonymous = await screenB.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "志愿者的保险谁来买？", "k2", true);
            var dismissed = await screenC.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "无关的问题", "k3", false);
            await screenB.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), asked.Id);
            await screenC.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), asked.Id);
            await host.Connection.InvokeAsync(nameof(IExchangeHub.ReplyToQuestion), asked.Id, "按楼栋分组，每班四小时。");
            await host.Connection.InvokeAsync(nameof(IExchangeHub.MarkAnswered), asked.Id);
            await host.Connection.InvokeAsync(nameof(IExchangeHub.DismissQuestion), dismissed.Id);
            _ = anonymous;

            var poll = await PollSteps.PrepareAsync(_api, session, PollKinds.Single, "最需要的支持", ["培训", "资金", "志愿者"],
                counting: PollCountings.People);
            await PollSteps.PrepareAsync(_api, session, PollKinds.Rating, "草稿（未发起）");
            await PollSteps.LaunchAsync(host, poll.Id);
            await PollSteps.ChooseAsync(screenA, poll.Id, null, 0);
            await PollSteps.ChooseAsync(screenB, poll.Id, null, 2);
            await PollSteps.ChooseAsync(screenC, poll.Id, null, 0);
            await PollSteps.CloseAsync(host, poll.Id);
            Assert.Equal(HttpStatusCode.OK, (await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).StatusCode);
            await screenA.WaitForAsync<SessionEnded>(e => e.Reason == "ended");
        }

        // The same record for a viewer, the host and the organiser; another session's link is refused.
        var record = (await asA.GetFromJsonAsync<LearningRecord>($"/api/sessions/{session.Id}/record", Api.Json))!;
        using var asHost = _api.Client(session.HostToken);
        Assert.Equal(record.Questions.Length, (await asHost.GetFromJsonAsync<LearningRecord>($"/api/sessions/{session.Id}/record", Api.Json))!.Questions.Length);
        Assert.Equal(record.Title, (await organiser.GetFromJsonAsync<LearningRecord>($"/api/sessions/{session.Id}/record", Api.Json))!.Title);
        var (other, _) = await _api.ScheduleAsync("另一场");
        using var asOther = _api.Client(other.HostToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await asOther.GetAsync($"/api/sessions/{session.Id}/record")).StatusCode);
        // A screen the organiser removed reads nothing.
        var entries = (await organiser.GetFromJsonAsync<LiveExchange.Hub.Participants.ParticipantEntry[]>($"/api/sessions/{session.Id}/participants", Api.Json))!;
        Assert.True((await organiser.DeleteAsync($"/api/sessions/{session.Id}/participants/{entries.Single(e => e.DisplayName == "刷票").Id}")).IsSuccessStatusCode);
        using var asStuffer = _api.Client(stuffer.ParticipantToken);
        await Api.AssertProblemAsync(await asStuffer.GetAsync($"/api/sessions/{session.Id}/record"), HttpStatusCode.Forbidden, "participant_removed");

        Assert.Equal(("苏冀云牵手，社工e在线", session.HostAgency.Name), (record.Title, record.HostAgency));

        // Questions shown (live, answered), with the reply; anonymous stays anonymous; dismissed ones are not there.
        Assert.Equal(["社区网格员如何排班？", "志愿者的保险谁来买？"], record.Questions.Select(q => q.Text));
        var first = record.Questions[0];
        Assert.Equal((invited[0].Name, "邢台", 2, true, "按楼栋分组，每班四小时。"), (first.Agency, first.City, first.Votes, first.Answered, first.Reply));
        Assert.Equal(((string?)null, (string?)null, false), (record.Questions[1].Agency, record.Questions[1].City, record.Questions[1].Answered));

        // The launched poll with every option; not the draft.
        var recorded = Assert.Single(record.Polls);
        Assert.Equal(("最需要的支持", 3, 9), (recorded.Question, recorded.Screens, recorded.People));
        Assert.Equal([("培训", 2, 7), ("资金", 0, 0), ("志愿者", 1, 2)], recorded.Items.Select(i => (i.Label, i.Screens, i.People)));

        // The agenda as planned, and the session as it happened (ended by hand, after the host connected).
        Assert.Equal(["疫情防控经验分享", "互动问答"], record.Agenda.Select(x => x.Title));
        Assert.Equal([session.HostAgency.Name, null], record.Agenda.Select(x => x.Agency));
        Assert.True(record.Times.EndedByHand);
        Assert.True(record.Times.StartedAt > record.Times.PlannedStart); // the host connected after the planned start
        Assert.True(record.Times.EndedAt < record.Times.PlannedEnd);

        // Attendance per agency: screens, people, minutes; no display names anywhere in the record.
        Assert.Equal((2, 3, 9), (record.Attendance.Agencies, record.Attendance.Screens, record.Attendance.People));
        Assert.Equal([(invited[1].Name, 2, 6), (invited[0].Name, 1, 3)], record.Attendance.ByAgency.Select(x => (x.Agency, x.Screens, x.People)));
        var json = await asA.GetStringAsync($"/api/sessions/{session.Id}/record");
        Assert.DoesNotContain("王芳", json);
        Assert.DoesNotContain("赵敏", json);
        Assert.DoesNotContain("李华", json);

        // The deck for the page, and the PDF: Chinese summary, then the deck's own pages.
        Assert.Equal(("疫情防控.pdf", 3), (record.Deck!.FileName, record.Deck.PageCount));
        Assert.Equal(DemoSession.SampleDeck(3).Length, (await asA.GetByteArrayAsync(record.Deck.Link)).Length);
        var pdfResponse = await asA.GetAsync($"/api/sessions/{session.Id}/record.pdf?lang=zh");
        Assert.Equal(HttpStatusCode.OK, pdfResponse.StatusCode);
        Assert.Equal("application/pdf", pdfResponse.Content.Headers.ContentType!.MediaType);
        using (var pdf = PdfDocument.Open(await pdfResponse.Content.ReadAsByteArrayAsync()))
        {
            var pages = pdf.GetPages().ToArray();
            var summary = string.Join(" ", pages.Take(pages.Length - 3).Select(p => p.Text));
            foreach (var expected in new[] { "学习记录", "苏冀云牵手，社工e在线", "社区网格员如何排班？", "按楼栋分组，每班四小时。", "匿名", "最需要的支持", "培训", "疫情防控经验分享", invited[1].Name })
            {
                Assert.Contains(expected, summary);
            }

            Assert.DoesNotContain("无关的问题", summary);
            Assert.DoesNotContain("王芳", summary);
            var deckPages = pages.TakeLast(3).Select(p => p.Text).ToArray();
            Assert.Equal([1, 2, 3], deckPages.Select(t => int.Parse(System.Text.RegularExpressions.Regex.Match(t, @"page (\d) of 3").Groups[1].Value)));
        }

        var english = await organiser.GetAsync($"/api/sessions/{session.Id}/record.pdf?lang=en");
        using (var pdf = PdfDocument.Open(await english.Content.ReadAsByteArrayAsync()))
        {
            Assert.Contains("Questions and answers", pdf.GetPage(1).Text + pdf.GetPage(2).Text);
        }

        await Api.AssertProblemAsync(await organiser.GetAsync($"/api/sessions/{session.Id}/record.pdf?lang=fr"), HttpStatusCode.BadRequest, "validation");
    }
}

public sealed class LearningRecordTestsOnPostgres(PostgresAppFixture fixture) : LearningRecordTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class LearningRecordTestsOnSqlite(SqliteAppFixture fixture) : LearningRecordTests(fixture.App), IClassFixture<SqliteAppFixture>;
