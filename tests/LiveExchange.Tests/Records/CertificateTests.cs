using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Certificates;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Organising;
using LiveExchange.Tests.Scenarios;
using Microsoft.Extensions.DependencyInjection;
using UglyToad.PdfPig;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace LiveExchange.Tests.Records;

/// <summary>
/// Certificates through HTTP and the hub, on both databases. Presence comes from real hub connections,
/// so its exact share is only known afterwards: the tests read it back and put the rule's minimum on
/// either side of it (floor(p) is eligible, floor(p) + 1 is not), which is the 79 % / 80 % edge wherever
/// p falls. The session starts on the current minute, so the window is about a minute long and a few
/// seconds of difference between two screens are several percent.
/// </summary>
public abstract class CertificateTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    private sealed record Scene(SessionScheduled Session, Agency[] Invited, string TokenA, string TokenB, CertificateOverview Overview);

    /// <summary>
    /// Screen A (李华, alone) is connected from the start of the test; screen B (a roster: 张伟 and 刘洋 for the
    /// whole session, 陈静 taken off before it started) connects three seconds later. A gives feedback.
    /// Then the organiser ends the session.
    /// </summary>
    private async Task<Scene> PlayAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var (session, invited) = await _api.ScheduleAsync("苏冀云牵手，社工e在线", now, now.AddHours(3));
        var a = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        var b = await _api.JoinAsync(session.Code, invited[1].Id, "王芳", 2);
        using var organiser = _api.Organiser();

        await using (var screenA = await LiveClient.ConnectAsync(_api.BaseAddress, a.ParticipantToken))
        {
            // Not before the end.
            await Api.AssertProblemAsync(await organiser.PostAsync($"/api/sessions/{session.Id}/certificates/issue", null),
                HttpStatusCode.Conflict, "certificates_not_ready");
            await Task.Delay(3000);
            await using var screenB = await LiveClient.ConnectAsync(_api.BaseAddress, b.ParticipantToken);
            await AddRosterAsync(session.Id, b.ParticipantToken, session.StartsAt.ToUnixTimeMilliseconds());
            await Task.Delay(2000);
            Assert.Equal(HttpStatusCode.OK, (await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).StatusCode);
            await screenA.WaitForAsync<SessionEnded>(e => e.Reason == "ended");
            await screenB.WaitForAsync<SessionEnded>(e => e.Reason == "ended");
        }

        using var asA = _api.Client(a.ParticipantToken);
        Assert.Equal(HttpStatusCode.Created, (await asA.PostAsJsonAsync($"/api/sessions/{session.Id}/feedback/response", new
        {
            answers = new object[] { new { question = 1, rating = 5 }, new { question = 2, rating = 4 } },
        })).StatusCode);

        return new Scene(session, invited, a.ParticipantToken, b.ParticipantToken, await OverviewAsync(organiser, session.Id));
    }

    private async Task AddRosterAsync(long sessionId, string token, long startMs)
    {
        // The roster's join UI is another branch's (i10-people); the table (0012) is the contract.
        const string insert = """
            insert into room_members (session_id, participant_id, name, job_title, added_at_ms, removed_at_ms)
            values (@sessionId, @participantId, @name, null, @addedAtMs, @removedAtMs)
            """;
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        var participantId = await connection.ExecuteScalarAsync<long>("select id from participants where token = @token", new { token });
        foreach (var (name, removed) in new[] { ("张伟", (long?)null), ("刘洋", null), ("陈静", startMs - 1) })
        {
            await connection.ExecuteAsync(insert, new { sessionId, participantId, name, addedAtMs = startMs - 60_000, removedAtMs = removed });
        }
    }

    [Fact]
    public async Task Eligibility_is_exact_at_the_rules_edge_roster_people_each_get_one_feedback_can_be_required_and_issuing_twice_doubles_nothing()
    {
        var scene = await PlayAsync();
        using var organiser = _api.Organiser();
        var id = scene.Session.Id;
        var overview = scene.Overview;
        Assert.True(overview.SessionEnded);
        Assert.Null(overview.Rule);
        Assert.Equal(["李华", "张伟", "刘洋", "陈静"], overview.People.Select(p => p.Name));
        Assert.DoesNotContain(overview.People, p => p.Name == "王芳"); // a screen with a roster is its people
        Assert.All(overview.People, p => Assert.False(p.Eligible)); // no rule yet
        var li = overview.People[0];
        var zhang = overview.People[1];
        Assert.Equal(zhang.PresentSeconds, overview.People[2].PresentSeconds);
        Assert.Equal(0, overview.People[3].PresentSeconds); // off the roster before the start
        Assert.True(li.PresentPercent - zhang.PresentPercent >= 3, $"{li.PresentPercent} vs {zhang.PresentPercent}");
        Assert.Equal((true, false), (li.FeedbackGiven, zhang.FeedbackGiven));

        // The window: the scheduled start to the actual end (ended by hand before the planned end).
        Assert.Equal(scene.Session.StartsAt, overview.Window.From);
        Assert.InRange(overview.Window.LengthSeconds, 5, 70);
        // Presence is the attendance report's figure (the window starts before anyone joined).
        var attendance = (await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{id}/attendance", Api.Json))!;
        Assert.Equal(attendance.Single(x => x.DisplayName == "李华").SecondsPresent, li.PresentSeconds);
        Assert.Equal(attendance.Single(x => x.DisplayName == "王芳").SecondsPresent, zhang.PresentSeconds);
        Assert.InRange((double)li.PresentPercent, 100.0 * (li.PresentSeconds - 1) / (overview.Window.LengthSeconds + 1),
            100.0 * (li.PresentSeconds + 1) / overview.Window.LengthSeconds);

        // Not without a rule; bad rules are refused.
        await Api.AssertProblemAsync(await organiser.PostAsync($"/api/sessions/{id}/certificates/issue", null), HttpStatusCode.Conflict, "certificate_rule_missing");
        foreach (var bad in new object[] { new { minPercent = 0, feedbackRequired = false, ceHours = 2 }, new { minPercent = 101, feedbackRequired = false, ceHours = 2 },
                     new { minPercent = 80, feedbackRequired = false, ceHours = 0 }, new { minPercent = 80, feedbackRequired = false, ceHours = 1.555 } })
        {
            await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{id}/certificates/rule", bad), HttpStatusCode.BadRequest, "validation");
        }

        // The edge: the roster's share rounded down is eligible, one percent more is not (李华 is above both).
        var edge = (int)Math.Floor(zhang.PresentPercent);
        overview = await SetRuleAsync(organiser, id, edge + 1, feedbackRequired: false, 1.5m);
        Assert.Equal([true, false, false, false], overview.People.Select(p => p.Eligible));
        var issued = await IssueAsync(organiser, id);
        Assert.Equal((1, 1), (issued.Added, issued.Valid));
        Assert.Equal((0, 1), ((await IssueAsync(organiser, id)).Added, (await IssueAsync(organiser, id)).Valid));

        overview = await SetRuleAsync(organiser, id, edge, feedbackRequired: false, 1.5m);
        Assert.Equal([true, true, true, false], overview.People.Select(p => p.Eligible));
        issued = await IssueAsync(organiser, id);
        Assert.Equal((2, 3), (issued.Added, issued.Valid)); // the roster's two people, each their own
        issued = await IssueAsync(organiser, id);
        Assert.Equal((0, 3), (issued.Added, issued.Valid));
        var codes = issued.Overview.People.Where(p => p.Certificate is not null).Select(p => p.Certificate!.Code).ToArray();
        Assert.Equal(3, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches($"^[{CertificateLimits.CodeAlphabet}]{{10}}$", c));

        // Feedback required: only 李华's screen answered.
        overview = await SetRuleAsync(organiser, id, 1, feedbackRequired: true, 2m);
        Assert.Equal([true, false, false, false], overview.People.Select(p => p.Eligible));
        Assert.Equal(0, (await IssueAsync(organiser, id)).Added);

        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal(3, await connection.ExecuteScalarAsync<long>("select count(*) from certificates where session_id = @id", new { id }));

        // A viewer manages nothing.
        using var viewer = _api.Client(scene.TokenA);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/sessions/{id}/certificates/issue", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutAsJsonAsync($"/api/sessions/{id}/certificates/rule",
            new { minPercent = 1, feedbackRequired = false, ceHours = 2 })).StatusCode);
    }

    /// <summary>
    /// The same rule on intervals of exactly known length: two screens join through HTTP, the organiser moves the
    /// session to an hour that is over, and their attendance is written into attendance_intervals as the hub
    /// would have (48 and 47.4 minutes of 60; a third with two overlapping intervals, one reaching before the start).
    /// </summary>
    [Fact]
    public async Task Exactly_eighty_percent_is_eligible_and_seventy_nine_is_not()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var tokens = new List<(string Name, string Token)>();
        foreach (var name in new[] { "恰好八成", "差一点", "重叠", "已删除", "名单" })
        {
            tokens.Add((name, (await _api.JoinAsync(session.Code, invited[0].Id, name)).ParticipantToken));
        }

        using var organiser = _api.Organiser();
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        start = new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, start.Minute, 0, TimeSpan.Zero);
        var moved = await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}", new
        {
            title = session.Title,
            description = session.Description,
            hostAgencyId = session.HostAgency.Id,
            invitedAgencyIds = invited.Select(a => a.Id).ToArray(),
            startsAt = LiveExchange.Bench.Cluster.LocalTime(start),
            endsAt = LiveExchange.Bench.Cluster.LocalTime(start.AddHours(1)),
            timeZone = "Asia/Shanghai",
        });
        Assert.True(moved.IsSuccessStatusCode, await moved.Content.ReadAsStringAsync());

        const string insert = """
            insert into attendance_intervals (participant_id, session_id, connection_id, instance_id, headcount, joined_at_ms, left_at_ms)
            values (@participantId, @sessionId, @connectionId, 'test', 1, @joinedAtMs, @leftAtMs)
            """;
        var s = start.ToUnixTimeMilliseconds();
        await using (var connection = await app.Services.GetRequiredService<Database>().OpenAsync())
        {
            foreach (var (name, token) in tokens)
            {
                var participantId = await connection.ExecuteScalarAsync<long>("select id from participants where token = @token", new { token });
                var intervals = name switch
                {
                    "恰好八成" => new[] { (s, s + 48 * 60_000L) },
                    "差一点" => [(s, s + 47 * 60_000L + 24_000)],
                    "已删除" or "名单" => [(s, s + 60 * 60_000L)],
                    _ => [(s - 10 * 60_000L, s + 30 * 60_000L), (s + 20 * 60_000L, s + 49 * 60_000L)],
                };
                if (name == "已删除")
                {
                    // Retention has emptied this screen's name (as PersonalData does): present throughout, but no one to name.
                    await connection.ExecuteAsync("update participants set display_name = '' where id = @participantId", new { participantId });
                }

                foreach (var (joined, left) in intervals)
                {
                    await connection.ExecuteAsync(insert, new { participantId, sessionId = session.Id, connectionId = Guid.NewGuid().ToString("N"), joinedAtMs = joined, leftAtMs = left });
                }

                if (name == "名单")
                {
                    // A room: 王芳 taken off the list by mistake at 30 minutes and put back a minute later (two rows,
                    // one person, 59 of 60 minutes); 李明 left at 30 minutes.
                    foreach (var (member, added, removed) in new[] { ("王芳", s, (long?)(s + 30 * 60_000L)), ("李明", s, s + 30 * 60_000L), ("王芳", s + 31 * 60_000L, null) })
                    {
                        await connection.ExecuteAsync("""
                            insert into room_members (session_id, participant_id, name, job_title, added_at_ms, removed_at_ms)
                            values (@sessionId, @participantId, @member, null, @added, @removed)
                            """, new { sessionId = session.Id, participantId, member, added, removed });
                    }
                }
            }
        }

        var overview = await SetRuleAsync(organiser, session.Id, 80, feedbackRequired: false, 2m);
        Assert.True(overview.SessionEnded);
        Assert.Equal(3600, overview.Window.LengthSeconds);
        Assert.Equal([("恰好八成", 80.00m, true), ("差一点", 79.00m, false), ("重叠", 81.66m, true), ("", 100m, false), ("王芳", 98.33m, true), ("李明", 50.00m, false)],
            overview.People.Select(p => (p.Name, p.PresentPercent, p.Eligible)));
        var issued = await IssueAsync(organiser, session.Id);
        Assert.Equal(3, issued.Added);
        Assert.Null(issued.Overview.People.Single(p => p.Name == "差一点").Certificate);
        overview = await SetRuleAsync(organiser, session.Id, 79, feedbackRequired: false, 2m);
        Assert.Equal([true, true, true, false, true, false], overview.People.Select(p => p.Eligible));
    }

    [Fact]
    public async Task Certificates_download_as_pdfs_with_chinese_and_a_qr_to_the_verify_page_and_revocation_shows_there()
    {
        var scene = await PlayAsync();
        using var organiser = _api.Organiser();
        var id = scene.Session.Id;
        await SetRuleAsync(organiser, id, 1, feedbackRequired: false, 1.5m);
        var issued = await IssueAsync(organiser, id);
        Assert.Equal(3, issued.Valid);
        var code = issued.Overview.People.Single(p => p.Name == "李华").Certificate!.Code;
        var zhangCode = issued.Overview.People.Single(p => p.Name == "张伟").Certificate!.Code;

        // Anyone verifies a code: valid, name, session, date, hours, and nothing else.
        using var anyone = _api.Client();
        var verified = (await anyone.GetFromJsonAsync<CertificateVerification>($"/api/certificates/{code.ToLowerInvariant()}", Api.Json))!;
        Assert.Equal((code, CertificateStatuses.Valid, "李华", false, "苏冀云牵手，社工e在线", 1.5m),
            (verified.Code, verified.Status, verified.HolderName, verified.NameRemoved, verified.SessionTitle, verified.CeHours));
        Assert.Equal(TimeZoneInfo.ConvertTime(scene.Session.StartsAt, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).ToString("yyyy-MM-dd"), verified.SessionDate);
        var json = await anyone.GetStringAsync($"/api/certificates/{code}");
        Assert.DoesNotContain(scene.Session.Code, json);
        Assert.DoesNotContain("agency", json, StringComparison.OrdinalIgnoreCase);
        await Api.AssertProblemAsync(await anyone.GetAsync("/api/certificates/ABCDEFGHJK"), HttpStatusCode.NotFound, "certificate_not_found");
        await Api.AssertProblemAsync(await anyone.GetAsync("/api/certificates/x"), HttpStatusCode.NotFound, "certificate_not_found");
        using (var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _api.BaseAddress })
        {
            var redirect = await noRedirect.GetAsync($"/verify/{code}");
            Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
            Assert.Equal($"/verify.html#code={code}", redirect.Headers.Location!.OriginalString);
        }

        // The organiser's zip: one PDF per person, Chinese names kept.
        var zipResponse = await organiser.GetAsync($"/api/sessions/{id}/certificates/all.zip");
        Assert.Equal(HttpStatusCode.OK, zipResponse.StatusCode);
        Assert.Contains("certificates.zip", zipResponse.Content.Headers.ContentDisposition!.FileName);
        using var zip = new ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync()));
        Assert.Equal(3, zip.Entries.Count);
        var entry = zip.Entries.Single(e => e.FullName.StartsWith("李华", StringComparison.Ordinal));
        Assert.EndsWith($"{code}.pdf", entry.FullName);
        using var pdfBytes = new MemoryStream();
        await using (var stream = entry.Open())
        {
            await stream.CopyToAsync(pdfBytes);
        }

        var (text, qr) = ReadCertificate(pdfBytes.ToArray());
        Assert.Contains("李华", text);
        Assert.Contains("苏冀云牵手，社工e在线", text);
        Assert.Contains(scene.Invited[0].Name, text);
        Assert.Contains("益家乐社会工作服务中心", text); // the host agency
        Assert.Contains("1.5", text);
        Assert.Contains(code, text);
        Assert.Equal($"{_api.BaseAddress.ToString().TrimEnd('/')}/verify/{code}", qr);

        // The participant downloads its own screen's certificates, after the end, and no one else's.
        using var asA = _api.Client(scene.TokenA);
        using var asB = _api.Client(scene.TokenB);
        var mine = (await asA.GetFromJsonAsync<MyCertificate[]>($"/api/sessions/{id}/certificates/mine", Api.Json))!;
        Assert.Equal([("李华", code)], mine.Select(m => (m.HolderName, m.Code)));
        var own = await asA.GetAsync(mine[0].Download);
        Assert.Equal("application/pdf", own.Content.Headers.ContentType!.MediaType);
        Assert.Contains("李华", ReadCertificate(await own.Content.ReadAsByteArrayAsync()).Text);
        Assert.Equal(["张伟", "刘洋"], (await asB.GetFromJsonAsync<MyCertificate[]>($"/api/sessions/{id}/certificates/mine", Api.Json))!.Select(m => m.HolderName));
        await Api.AssertProblemAsync(await asB.GetAsync(mine[0].Download), HttpStatusCode.NotFound, "certificate_not_found");
        Assert.Equal(HttpStatusCode.Forbidden, (await asA.GetAsync($"/api/sessions/{id}/certificates/all.zip")).StatusCode);

        // Revocation: with a reason; the verify page says revoked; the zip and the holder's list leave it out.
        await Api.AssertProblemAsync(await organiser.PostAsJsonAsync($"/api/sessions/{id}/certificates/{zhangCode}/revoke", new { reason = "" }),
            HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(await organiser.PostAsJsonAsync($"/api/sessions/{id}/certificates/ABCDEFGHJK/revoke", new { reason = "错误" }),
            HttpStatusCode.NotFound, "certificate_not_found");
        var revoked = await organiser.PostAsJsonAsync($"/api/sessions/{id}/certificates/{zhangCode}/revoke", new { reason = "未实际参加 (did not attend)" });
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        var after = (await revoked.Content.ReadFromJsonAsync<CertificateOverview>(Api.Json))!;
        Assert.Equal("未实际参加 (did not attend)", after.People.Single(p => p.Name == "张伟").Certificate!.RevokeReason);
        Assert.Equal(CertificateStatuses.Revoked, (await anyone.GetFromJsonAsync<CertificateVerification>($"/api/certificates/{zhangCode}", Api.Json))!.Status);
        Assert.Equal(["刘洋"], (await asB.GetFromJsonAsync<MyCertificate[]>($"/api/sessions/{id}/certificates/mine", Api.Json))!.Select(m => m.HolderName));
        using (var zip2 = new ZipArchive(new MemoryStream(await organiser.GetByteArrayAsync($"/api/sessions/{id}/certificates/all.zip"))))
        {
            Assert.Equal(2, zip2.Entries.Count);
        }

        // Issuing again does not bring a revoked one back.
        Assert.Equal(0, (await IssueAsync(organiser, id)).Added);
        Assert.Equal(CertificateStatuses.Revoked, (await anyone.GetFromJsonAsync<CertificateVerification>($"/api/certificates/{zhangCode}", Api.Json))!.Status);

        // Retention blanks the names; verification still confirms the certificate.
        await using (var connection = await app.Services.GetRequiredService<Database>().OpenAsync())
        {
            await connection.ExecuteAsync(CertificateEndpoints.BlankHolderNames, new { sessionId = id, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        }

        verified = (await anyone.GetFromJsonAsync<CertificateVerification>($"/api/certificates/{code}", Api.Json))!;
        Assert.Equal((CertificateStatuses.Valid, null, true, 1.5m), (verified.Status, verified.HolderName, verified.NameRemoved, verified.CeHours));
    }

    internal static (string Text, string Qr) ReadCertificate(byte[] pdf)
    {
        using var document = PdfDocument.Open(pdf);
        var page = document.GetPage(1);
        var text = string.Join(" ", document.GetPages().Select(p => p.Text));
        var image = Assert.Single(page.GetImages());
        Assert.True(image.TryGetPng(out var png), "the QR image converts to PNG");
        var decoded = InvitationTests.Png.Decode(png);
        var source = new RGBLuminanceSource(decoded.Gray, decoded.Width, decoded.Height, RGBLuminanceSource.BitmapFormat.Gray8);
        // PURE_BARCODE: the image is the QR code and nothing else (taken from our PNG or PDF). ZXing's finder-
        // pattern search, meant for photos, misses about one in a hundred of these clean images.
        var result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)),
            new Dictionary<ZXing.DecodeHintType, object> { [ZXing.DecodeHintType.PURE_BARCODE] = true });
        Assert.NotNull(result);
        return (text, result.Text);
    }

    private static async Task<CertificateOverview> OverviewAsync(HttpClient organiser, long id) =>
        (await organiser.GetFromJsonAsync<CertificateOverview>($"/api/sessions/{id}/certificates", Api.Json))!;

    private static async Task<CertificateOverview> SetRuleAsync(HttpClient organiser, long id, int minPercent, bool feedbackRequired, decimal ceHours)
    {
        var response = await organiser.PutAsJsonAsync($"/api/sessions/{id}/certificates/rule", new { minPercent, feedbackRequired, ceHours });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var overview = (await response.Content.ReadFromJsonAsync<CertificateOverview>(Api.Json))!;
        Assert.Equal(new CertificateRule(minPercent, feedbackRequired, ceHours), overview.Rule);
        return overview;
    }

    private static async Task<CertificatesIssued> IssueAsync(HttpClient organiser, long id)
    {
        var response = await organiser.PostAsync($"/api/sessions/{id}/certificates/issue", null);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<CertificatesIssued>(Api.Json))!;
    }
}

public sealed class CertificateTestsOnPostgres(PostgresAppFixture fixture) : CertificateTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class CertificateTestsOnSqlite(SqliteAppFixture fixture) : CertificateTests(fixture.App), IClassFixture<SqliteAppFixture>;
