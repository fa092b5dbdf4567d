using System.Net.Http.Json;
using LiveExchange.Hub.Invitations;
using LiveExchange.Hub.Retention;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LiveExchange.Tests.Organising;

/// <summary>
/// Retention (issue 10, point 7): the test moves the app's clock past a session's retention period, lets the
/// sweep run, and reads the exports back over HTTP. Both databases (the classes are in PeopleTests.cs).
/// </summary>
public abstract class RetentionTests(ExchangeApp app, ShiftableClock clock) : PeopleSteps(app, clock)
{
    [Fact]
    public async Task After_the_retention_period_names_rosters_askers_and_written_feedback_are_gone_and_the_counts_stay()
    {
        // It starts in ten minutes: agencies register until it starts.
        var now = Clock.GetUtcNow();
        var (session, invited) = await _api.ScheduleAsync($"保留期限 {Guid.NewGuid():N}"[..12], now.AddMinutes(10), now.AddHours(3));
        using var organiser = _api.Organiser();
        using var anyone = _api.Client();
        (await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/notice", new { retentionDays = 2 })).EnsureSuccessStatusCode();

        // An agency registers a contact, a screen joins with its room, asks, and answers the feedback in words.
        var invitations = (await organiser.GetFromJsonAsync<SessionInvitations>($"/api/sessions/{session.Id}/invitations", Api.Json))!;
        var link = invitations.Invitations.Single(i => i.Agency.Id == invited[0].Id).Link;
        var inviteToken = System.Web.HttpUtility.ParseQueryString(new Uri(link).Query)["invite"]!;
        (await anyone.PutAsJsonAsync($"/api/invitations/{Uri.EscapeDataString(inviteToken)}/registration",
            new { contactName = "赵敏", contactPhone = "0319-111 2222", expectedHeadcount = 6, screens = 1 })).EnsureSuccessStatusCode();
        Clock.Advance(TimeSpan.FromMinutes(15));
        var joined = await JoinWithRoomAsync(session.Code, invited[0].Id, "张伟的电脑", Room("张伟|社工", "李娜|督导"));
        await using (var screen = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken))
        {
            await screen.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "网格员如何参与？", (string?)null, false);
            Clock.Advance(TimeSpan.FromMinutes(20));
        }

        await WaitUntilLeftAsync(session.Id);
        (await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).EnsureSuccessStatusCode();
        using (var viewer = _api.Client(joined.ParticipantToken))
        {
            var answered = await viewer.PostAsJsonAsync($"/api/sessions/{session.Id}/feedback/response", new
            {
                speaksFor = 2,
                answers = new object[] { new { question = 1, rating = 5 }, new { question = 2, rating = 4 }, new { question = 3, text = "张伟说：回去就试" } },
            });
            Assert.True(answered.IsSuccessStatusCode, await answered.Content.ReadAsStringAsync());
        }

        // Certificates for everyone present (the records feature): their codes must still verify afterwards.
        (await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/certificates/rule", new { minPercent = 1, feedbackRequired = false, ceHours = 1.5m }))
            .EnsureSuccessStatusCode();
        var issued = await (await organiser.PostAsync($"/api/sessions/{session.Id}/certificates/issue", null))
            .Content.ReadFromJsonAsync<Hub.Certificates.CertificatesIssued>(Api.Json);
        var code = issued!.Overview.People.Single(p => p.Name == "张伟").Certificate!.Code;
        var revokedCode = issued.Overview.People.Single(p => p.Name == "李娜").Certificate!.Code;
        (await organiser.PostAsJsonAsync($"/api/sessions/{session.Id}/certificates/{revokedCode}/revoke", new { reason = "李娜提前离开" }))
            .EnsureSuccessStatusCode();
        var before = await anyone.GetFromJsonAsync<Hub.Certificates.CertificateVerification>($"/api/certificates/{code}", Api.Json);
        Assert.Equal("张伟", before!.HolderName);

        // A second session, to see two sweeps at once do the work once.
        var (other, otherInvited) = await ScheduleNowAsync("并发清理");
        (await organiser.PutAsJsonAsync($"/api/sessions/{other.Id}/notice", new { retentionDays = 2 })).EnsureSuccessStatusCode();
        await JoinWithRoomAsync(other.Code, otherInvited[0].Id, "王芳的手机", Room("王芳"));
        (await organiser.PostAsync($"/api/sessions/{other.Id}/end", null)).EnsureSuccessStatusCode();

        var sweep = App.Services.GetRequiredService<RetentionSweep>();
        await sweep.SweepOnceAsync();
        Assert.Contains("张伟", string.Join("\n", await CsvAsync(session.Id, "people", "people")));

        // A day later: still kept. Three days later: gone.
        Clock.Advance(TimeSpan.FromDays(1));
        await sweep.SweepOnceAsync();
        Assert.Contains("张伟", string.Join("\n", await CsvAsync(session.Id, "people", "people")));
        Clock.Advance(TimeSpan.FromDays(2));
        var swept = await Task.WhenAll(sweep.SweepOnceAsync(), sweep.SweepOnceAsync());
        Assert.Equal(2, swept.Sum());
        Assert.Equal(0, await sweep.SweepOnceAsync());

        // Feedback was to stay open for 7 days, but it closes with the sweep: what came in now would never be removed.
        using (var viewer = _api.Client(joined.ParticipantToken))
        {
            await Api.AssertProblemAsync(await viewer.PutAsJsonAsync($"/api/sessions/{session.Id}/feedback/response", new
            {
                speaksFor = 2,
                answers = new object[] { new { question = 1, rating = 5 }, new { question = 2, rating = 4 }, new { question = 3, text = "张伟又写了一句" } },
            }), System.Net.HttpStatusCode.Conflict, "feedback_closed");
        }

        // The revocation stays; its reason (the organiser's words, naming her) goes.
        var overview = await organiser.GetFromJsonAsync<Hub.Certificates.CertificateOverview>($"/api/sessions/{session.Id}/certificates", Api.Json);
        var revoked = overview!.People.Select(p => p.Certificate).Single(c => c?.Code == revokedCode)!;
        Assert.Equal((true, null), (revoked.RevokedAt is not null, revoked.RevokeReason));

        // People: the rows and minutes stay, names and titles do not.
        var people = await CsvAsync(session.Id, "people", "people");
        var rows = people.SkipWhile(l => !l.StartsWith("机构,", StringComparison.Ordinal)).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.All(rows, r => Assert.Equal(("（已删除）", "（已删除）", "", "20"), (r[2], r[3], r[4], r[7])));
        var en = await CsvAsync(session.Id, "people", "people", "en");
        Assert.Contains(",(removed),(removed),,", en.Last());

        // Attendance: the screen's name gone, its headcount and minutes kept.
        var attendance = (await CsvAsync(session.Id, "attendance", "participants")).Single(l => l.StartsWith(invited[0].Name, StringComparison.Ordinal)).Split(',');
        Assert.Equal(("（已删除）", "2", "20"), (attendance[2], attendance[4], attendance[7]));

        // Questions: the text, the agency and the votes stay; the asker's name goes.
        var question = (await CsvAsync(session.Id, "questions", "questions")).Single(l => l.StartsWith("网格员如何参与？", StringComparison.Ordinal)).Split(',');
        Assert.Equal((invited[0].Name, "（已删除）"), (question[1], question[3]));

        // Feedback: ratings stay, the written answer goes.
        var feedback = Spreadsheets.Rows(Spreadsheets.Open(await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/feedback.xlsx?lang=zh")), "反馈明细");
        var answer = feedback.Single(r => r.FirstOrDefault() == invited[0].Name);
        Assert.Equal(["（已删除）", "2", "5", "4", "（已删除）"], new[] { answer[2], answer[3], answer[6], answer[7], answer[8] });
        Assert.DoesNotContain(feedback.SelectMany(r => r), c => c.Contains("张伟", StringComparison.Ordinal));

        // Registration: the contact goes, the expected headcount stays.
        var registered = (await CsvAsync(session.Id, "roster", "agencies")).Single(l => l.StartsWith(invited[0].Name, StringComparison.Ordinal)).Split(',');
        Assert.Equal(("（已删除）", "", "6"), (registered[4], registered[5], registered[6]));

        // The certificate still verifies, without the holder's name.
        var after = await anyone.GetFromJsonAsync<Hub.Certificates.CertificateVerification>($"/api/certificates/{code}", Api.Json);
        Assert.Equal((Hub.Certificates.CertificateStatuses.Valid, null, true, 1.5m), (after!.Status, after.HolderName, after.NameRemoved, after.CeHours));

        // Nothing personal anywhere in the report.
        using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(
            await organiser.GetByteArrayAsync($"/api/sessions/{session.Id}/exports/report.zip?lang=zh")));
        foreach (var entry in zip.Entries.Where(e => e.Name.EndsWith(".csv", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(entry.Open());
            var text = await reader.ReadToEndAsync();
            Assert.DoesNotContain("张伟", text);
            Assert.DoesNotContain("赵敏", text);
            Assert.DoesNotContain("0319", text);
        }

        Assert.Contains(App.Logs.Lines, l => l.Message.Contains($"session {session.Id}", StringComparison.Ordinal));
    }
}

