using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Invitations;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Participants;
using LiveExchange.Hub.Registration;
using LiveExchange.Hub.Sessions;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace LiveExchange.Tests.Organising;

/// <summary>
/// Invitations per agency (links, QR codes, calendar files, texts), registration from the link and
/// the organiser's roster, through HTTP and the hub, on both databases.
/// </summary>
public abstract partial class InvitationTests(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    [Fact]
    public async Task Each_agency_gets_its_own_link_and_joining_through_it_joins_as_that_agency()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var organiser = _api.Organiser();
        var list = await InvitationsAsync(organiser, session.Id);
        Assert.Equal(invited.Select(a => a.Id), list.Invitations.Select(i => i.Agency.Id));
        Assert.Equal(3, list.Invitations.Select(i => i.Link).Distinct().Count());
        Assert.All(list.Invitations, i => Assert.StartsWith(new Uri(_api.BaseAddress, "/?invite=").ToString(), i.Link));
        // The same links the next time: a token is made once.
        Assert.Equal(list.Invitations.Select(i => i.Link), (await InvitationsAsync(organiser, session.Id)).Invitations.Select(i => i.Link));

        // The link shows the session and the agency it is for, to anyone who has it.
        var second = list.Invitations[1];
        var token = TokenOf(second.Link);
        using var anyone = _api.Client();
        var shown = (await anyone.GetFromJsonAsync<Invitation>($"/api/invitations/{token}", Api.Json))!;
        Assert.Equal(session.Id, shown.SessionId);
        Assert.Equal(invited[1].Id, shown.Agency.Id);
        Assert.Equal(session.HostAgency.Id, shown.HostAgency.Id);
        Assert.Equal("live", shown.State);
        Assert.False(shown.RegistrationOpen);
        Assert.Equal(JoinEndpoints.HeadcountMax, shown.Limits.HeadcountMax);

        // Joining through it needs neither code nor agency; the participant is that agency's.
        var joined = await Api.PostAsync<Joined>(anyone, "/api/join",
            new { inviteToken = token, displayName = "王芳", headcount = 4, consentVersion = 1 });
        Assert.Equal(session.Id, joined.SessionId);
        var participants = (await organiser.GetFromJsonAsync<ParticipantEntry[]>($"/api/sessions/{session.Id}/participants", Api.Json))!;
        Assert.Equal(invited[1].Id, Assert.Single(participants, p => p.DisplayName == "王芳").AgencyId);

        // Another agency or another session's code beside the token, or a token nobody was given: refused.
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync("/api/join",
            new { inviteToken = token, agencyId = invited[0].Id, displayName = "王芳", headcount = 1 }), HttpStatusCode.NotFound, "unknown_invitation");
        var (other, _) = await _api.ScheduleAsync("另一场");
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync("/api/join",
            new { inviteToken = token, code = other.Code, displayName = "王芳", headcount = 1 }), HttpStatusCode.NotFound, "unknown_invitation");
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync("/api/join",
            new { inviteToken = "not-a-token-anyone-was-given", displayName = "王芳", headcount = 1 }), HttpStatusCode.NotFound, "unknown_invitation");
        await Api.AssertProblemAsync(await anyone.GetAsync("/api/invitations/not-a-token-anyone-was-given"), HttpStatusCode.NotFound, "unknown_invitation");

        // The organiser's side is the organiser's only; an agency that is not invited has no invitation.
        await Api.AssertProblemAsync(await anyone.GetAsync($"/api/sessions/{session.Id}/invitations"), HttpStatusCode.Unauthorized, "unauthorised");
        await Api.AssertProblemAsync(await organiser.GetAsync($"/api/sessions/{session.Id}/invitations/{session.HostAgency.Id}/qr.png"),
            HttpStatusCode.NotFound, "not_invited");
        await Api.AssertProblemAsync(await organiser.GetAsync("/api/sessions/999999/invitations"), HttpStatusCode.NotFound, "session_not_found");
    }

    [Fact]
    public async Task The_calendar_file_is_in_the_session_zone_with_its_alarm_follows_a_move_and_a_cancel_and_texts_come_in_both_languages()
    {
        var startsAt = WholeMinute(DateTimeOffset.UtcNow.AddDays(3));
        var (session, invited) = await _api.ScheduleAsync("社工如何参与社区疫情防控", startsAt, startsAt.AddHours(2));
        using var organiser = _api.Organiser();
        var invitation = (await InvitationsAsync(organiser, session.Id)).Invitations[0];
        var path = $"/api/sessions/{session.Id}/invitations/{invited[0].Id}";

        var response = await organiser.GetAsync($"{path}/invitation.ics");
        Assert.Equal("text/calendar", response.Content.Headers.ContentType?.MediaType);
        var calendar = Ical.Net.Calendar.Load(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("REQUEST", calendar.Method);
        var zone = Assert.Single(calendar.TimeZones);
        Assert.Equal("Asia/Shanghai", zone.TzId);
        var entry = Assert.Single(calendar.Events);
        Assert.Equal("Asia/Shanghai", entry.DtStart!.TzId);
        Assert.Equal(startsAt.UtcDateTime, entry.DtStart.AsUtc);
        Assert.Equal(startsAt.AddHours(2).UtcDateTime, entry.DtEnd!.AsUtc);
        Assert.Equal(TimeZoneInfo.ConvertTime(startsAt, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).Hour, entry.DtStart.Hour);
        Assert.Equal(0, entry.Sequence);
        Assert.Equal(invitation.Link, entry.Url!.ToString());
        Assert.Equal("社工如何参与社区疫情防控", entry.Summary);
        Assert.Equal("-PT60M", Assert.Single(entry.Alarms).Trigger!.Duration.ToString());
        var uid = entry.Uid;

        // The reminder moves the alarm; the same agency's file keeps its UID, another agency's differs.
        using (var set = await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/reminder", new { minutes = 30 }))
        {
            var reminder = (await set.Content.ReadFromJsonAsync<ReminderState>(Api.Json))!;
            Assert.Equal(30, reminder.Minutes);
            Assert.Equal(startsAt.AddMinutes(-30), reminder.DueAt);
        }

        var again = Ical.Net.Calendar.Load(await organiser.GetStringAsync($"{path}/invitation.ics"))!.Events.Single();
        Assert.Equal(uid, again.Uid);
        Assert.Equal("-PT30M", again.Alarms.Single().Trigger!.Duration.ToString());
        var otherAgency = Ical.Net.Calendar.Load(await organiser.GetStringAsync(
            $"/api/sessions/{session.Id}/invitations/{invited[1].Id}/invitation.ics"))!.Events.Single();
        Assert.NotEqual(uid, otherAgency.Uid);
        // The agency gets the same file from its link.
        using var anyone = _api.Client();
        var byToken = Ical.Net.Calendar.Load(await anyone.GetStringAsync($"/api/invitations/{TokenOf(invitation.Link)}/invitation.ics"))!.Events.Single();
        Assert.Equal(uid, byToken.Uid);

        // Texts to paste: title, host, date and zone, link, code; the reminder says when.
        var zh = (await organiser.GetFromJsonAsync<InvitationText>($"{path}/invitation-text?lang=zh", Api.Json))!.Text;
        var en = (await organiser.GetFromJsonAsync<InvitationText>($"{path}/invitation-text?lang=en", Api.Json))!.Text;
        var local = TimeZoneInfo.ConvertTime(startsAt, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"));
        foreach (var text in new[] { zh, en })
        {
            Assert.Contains(session.Title, text);
            Assert.Contains(session.HostAgency.Name, text);
            Assert.Contains(invitation.Link, text);
            Assert.Contains(session.Code, text);
            Assert.Contains("Asia/Shanghai, UTC+08:00", text);
            Assert.Contains(local.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), text);
        }

        Assert.Contains($"{local.Year}年{local.Month}月{local.Day}日", zh);
        Assert.Contains("报名", zh);
        Assert.Contains("register", en);
        var reminderZh = (await organiser.GetFromJsonAsync<InvitationText>($"{path}/reminder-text?lang=zh", Api.Json))!.Text;
        Assert.Contains("30分钟", reminderZh);
        Assert.Contains(invitation.Link, reminderZh);
        await Api.AssertProblemAsync(await organiser.GetAsync($"{path}/invitation-text?lang=fr"), HttpStatusCode.BadRequest, "validation");
        await Api.AssertProblemAsync(await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/reminder", new { minutes = 0 }),
            HttpStatusCode.BadRequest, "validation");

        // The organiser moves it a day later: the same entry, a higher SEQUENCE, the new time.
        var movedTo = startsAt.AddDays(1);
        using (var moved = await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}", new
        {
            title = session.Title,
            description = session.Description,
            hostAgencyId = session.HostAgency.Id,
            invitedAgencyIds = invited.Select(a => a.Id).ToArray(),
            startsAt = LiveExchange.Bench.Cluster.LocalTime(movedTo),
            endsAt = LiveExchange.Bench.Cluster.LocalTime(movedTo.AddHours(2)),
            timeZone = "Asia/Shanghai",
        }))
        {
            Assert.True(moved.IsSuccessStatusCode, await moved.Content.ReadAsStringAsync());
        }

        var update = Ical.Net.Calendar.Load(await organiser.GetStringAsync($"{path}/invitation.ics"))!;
        Assert.Equal("REQUEST", update.Method);
        var updated = update.Events.Single();
        Assert.Equal(uid, updated.Uid);
        Assert.True(updated.Sequence > entry.Sequence, $"SEQUENCE {updated.Sequence} after the move, {entry.Sequence} before");
        Assert.Equal(movedTo.UtcDateTime, updated.DtStart!.AsUtc);
        Assert.Equal("Asia/Shanghai", updated.DtStart.TzId);
        // The link stays the agency's.
        Assert.Equal(invitation.Link, (await InvitationsAsync(organiser, session.Id)).Invitations[0].Link);

        // Then cancels it: the file is a cancellation of that entry, newer still; the link says so.
        using (var cancelled = await organiser.PostAsync($"/api/sessions/{session.Id}/cancel", null))
        {
            Assert.True(cancelled.IsSuccessStatusCode, await cancelled.Content.ReadAsStringAsync());
        }

        var cancellation = Ical.Net.Calendar.Load(await anyone.GetStringAsync($"/api/invitations/{TokenOf(invitation.Link)}/invitation.ics"))!;
        Assert.Equal("CANCEL", cancellation.Method);
        var withdrawn = cancellation.Events.Single();
        Assert.Equal(uid, withdrawn.Uid);
        Assert.Equal("CANCELLED", withdrawn.Status);
        Assert.True(withdrawn.Sequence > updated.Sequence, $"SEQUENCE {withdrawn.Sequence} after the cancel, {updated.Sequence} before");
        Assert.Empty(withdrawn.Alarms);
        var shown = (await anyone.GetFromJsonAsync<Invitation>($"/api/invitations/{TokenOf(invitation.Link)}", Api.Json))!;
        Assert.Equal("cancelled", shown.State);
        Assert.False(shown.RegistrationOpen);
        Assert.Contains("已取消", (await organiser.GetFromJsonAsync<InvitationText>($"{path}/invitation-text?lang=zh", Api.Json))!.Text);
        await Api.AssertProblemAsync(await anyone.PutAsJsonAsync($"/api/invitations/{TokenOf(invitation.Link)}/registration",
            new { contactName = "李华", expectedHeadcount = 2, screens = 1 }), HttpStatusCode.Gone, "session_cancelled");
        await Api.AssertProblemAsync(await anyone.PostAsJsonAsync("/api/join",
            new { inviteToken = TokenOf(invitation.Link), displayName = "李华", headcount = 1 }), HttpStatusCode.Gone, "session_cancelled");
    }

    [Fact]
    public async Task The_QR_code_reads_back_as_the_absolute_link_in_PNG_and_SVG()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var organiser = _api.Organiser();
        var invitation = (await InvitationsAsync(organiser, session.Id)).Invitations[2];
        var path = $"/api/sessions/{session.Id}/invitations/{invited[2].Id}";

        using var png = await organiser.GetAsync($"{path}/qr.png");
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        var image = Png.Decode(await png.Content.ReadAsByteArrayAsync());
        Assert.Equal(invitation.Link, QrText(image));

        // The SVG draws the same modules: each of its unit squares is a dark module of the PNG.
        using var svgResponse = await organiser.GetAsync($"{path}/qr.svg");
        Assert.Equal("image/svg+xml", svgResponse.Content.Headers.ContentType?.MediaType);
        var svg = XDocument.Parse(await svgResponse.Content.ReadAsStringAsync()).Root!;
        Assert.Equal("svg", svg.Name.LocalName);
        var size = int.Parse(svg.Attribute("viewBox")!.Value.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(image.Width, size * InvitationEndpoints.QrPixelsPerModule);
        var dark = new bool[size, size];
        foreach (Match run in SvgRun().Matches(svg.Descendants().Single(e => e.Name.LocalName == "path").Attribute("d")!.Value))
        {
            var (x, y, w) = (int.Parse(run.Groups[1].Value), int.Parse(run.Groups[2].Value), int.Parse(run.Groups[3].Value));
            for (var i = 0; i < w; i++)
            {
                dark[x + i, y] = true;
            }
        }

        var ppm = InvitationEndpoints.QrPixelsPerModule;
        var differing = 0;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var pngDark = image.Gray[(y * ppm + ppm / 2) * image.Width + x * ppm + ppm / 2] < 128;
                differing += pngDark == dark[x, y] ? 0 : 1;
            }
        }

        Assert.Equal(0, differing);
        Assert.True(dark.Cast<bool>().Count(d => d) > size * size / 4, "the SVG has too few dark modules to be a QR code");

        // The agency's own link serves the same code.
        using var anyone = _api.Client();
        Assert.Equal(invitation.Link, QrText(Png.Decode(await anyone.GetByteArrayAsync($"/api/invitations/{TokenOf(invitation.Link)}/qr.png"))));
    }

    [Fact]
    public async Task Registration_then_joining_and_the_end_show_who_registered_attended_and_stayed_away()
    {
        // Starts in half an hour: registration still open, joining already open.
        var startsAt = WholeMinute(DateTimeOffset.UtcNow.AddMinutes(30));
        var (session, invited) = await _api.ScheduleAsync("登记与到场", startsAt, startsAt.AddHours(2));
        using var organiser = _api.Organiser();
        var links = (await InvitationsAsync(organiser, session.Id)).Invitations.Select(i => TokenOf(i.Link)).ToArray();
        using var anyone = _api.Client();

        var first = await RegisterAsync(anyone, links[0], new { contactName = "李华", contactPhone = "0319-222 3333", expectedHeadcount = 8, screens = 2 });
        Assert.Equal(8, first.ExpectedHeadcount);
        await RegisterAsync(anyone, links[1], new { contactName = "赵敏", expectedHeadcount = 3, screens = 1 });
        // Editable until the start: a second registration changes the first.
        var changed = await RegisterAsync(anyone, links[0], new { contactName = "李华", contactPhone = "+86 138 0000 0000", expectedHeadcount = 12, screens = 3 });
        Assert.Equal(12, changed.ExpectedHeadcount);
        Assert.Equal("+86 138 0000 0000", changed.ContactPhone);
        Assert.Equal(first.RegisteredAt, changed.RegisteredAt);
        var shown = (await anyone.GetFromJsonAsync<Invitation>($"/api/invitations/{links[0]}", Api.Json))!;
        Assert.True(shown.RegistrationOpen);
        Assert.Equal("open", shown.State);
        Assert.Equal(3, shown.Registration!.Screens);
        Assert.Null((await anyone.GetFromJsonAsync<Invitation>($"/api/invitations/{links[2]}", Api.Json))!.Registration);

        var before = await RosterAsync(organiser, session.Id);
        Assert.Equal(["registered", "registered", "invited"], before.Agencies.Select(a => a.Status));
        Assert.Equal(new RosterTotals(3, 2, 0, 0, 15, 0), before.Totals);
        Assert.Equal("李华", before.Agencies[0].Registration!.ContactName);

        // The first agency joins through its link and stays connected a moment: it has attended. The
        // session has not started, so nobody is absent yet.
        var joined = await Api.PostAsync<Joined>(anyone, "/api/join",
            new { inviteToken = links[0], displayName = "会议室大屏", headcount = 9, consentVersion = 1 });
        await using (var screen = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken))
        {
            var during = await RosterAsync(organiser, session.Id);
            Assert.Equal(["attended", "registered", "invited"], during.Agencies.Select(a => a.Status));
            Assert.Equal((1, 9), (during.Agencies[0].Screens, during.Agencies[0].Headcount));
        }

        using (var end = await organiser.PostAsync($"/api/sessions/{session.Id}/end", null))
        {
            Assert.Equal(HttpStatusCode.OK, end.StatusCode);
        }

        var after = await RosterAsync(organiser, session.Id);
        Assert.Equal("ended", after.State);
        Assert.Equal(["attended", "absent", "absent"], after.Agencies.Select(a => a.Status));
        Assert.Equal([true, false, false], after.Agencies.Select(a => a.Attended));
        Assert.Equal([false, true, true], after.Agencies.Select(a => a.Absent));
        Assert.Equal([true, true, false], after.Agencies.Select(a => a.Registered));
        Assert.Equal(new RosterTotals(3, 2, 1, 2, 15, 9), after.Totals);
        Assert.Equal(0, after.Agencies[0].Minutes); // connected for well under half a minute

        // The invitations list says the same.
        var list = await InvitationsAsync(organiser, session.Id);
        Assert.Equal(after.Agencies.Select(a => a.Status), list.Invitations.Select(i => i.Status));
        Assert.Equal(9, list.Invitations[0].Headcount);
        Assert.Equal(12, list.Invitations[0].Registration!.ExpectedHeadcount);

        // Registration has closed with the session.
        await Api.AssertProblemAsync(await anyone.PutAsJsonAsync($"/api/invitations/{links[2]}/registration",
            new { contactName = "迟到", expectedHeadcount = 1, screens = 1 }), HttpStatusCode.Conflict, "registration_closed");
    }

    [Fact]
    public async Task Registration_refuses_what_it_cannot_take()
    {
        var startsAt = WholeMinute(DateTimeOffset.UtcNow.AddDays(1));
        var (future, _) = await _api.ScheduleAsync("明天", startsAt, startsAt.AddHours(1));
        var (started, _) = await _api.ScheduleAsync(); // started half an hour ago
        using var organiser = _api.Organiser();
        var token = TokenOf((await InvitationsAsync(organiser, future.Id)).Invitations[0].Link);
        var lateToken = TokenOf((await InvitationsAsync(organiser, started.Id)).Invitations[0].Link);
        using var anyone = _api.Client();
        var path = $"/api/invitations/{token}/registration";

        await Api.AssertProblemAsync(await anyone.PutAsJsonAsync($"/api/invitations/{lateToken}/registration",
            new { contactName = "李华", expectedHeadcount = 2, screens = 1 }), HttpStatusCode.Conflict, "registration_closed");
        foreach (var bad in new object[]
        {
            new { contactName = "李华", expectedHeadcount = 0, screens = 1 },
            new { contactName = "李华", expectedHeadcount = JoinEndpoints.HeadcountMax + 1, screens = 1 },
            new { contactName = "李华", expectedHeadcount = 2, screens = 0 },
            new { contactName = "李华", expectedHeadcount = 2, screens = RegistrationEndpoints.ScreensMax + 1 },
            new { contactName = "", expectedHeadcount = 2, screens = 1 },
            new { contactName = new string('名', RegistrationEndpoints.ContactNameMax + 1), expectedHeadcount = 2, screens = 1 },
            new { contactName = "李华", contactPhone = "call me", expectedHeadcount = 2, screens = 1 },
            new { contactName = "李华", contactPhone = "12", expectedHeadcount = 2, screens = 1 },
        })
        {
            await Api.AssertProblemAsync(await anyone.PutAsJsonAsync(path, bad), HttpStatusCode.BadRequest, "validation");
        }

        await Api.AssertProblemAsync(await anyone.PutAsJsonAsync("/api/invitations/unknown-token/registration",
            new { contactName = "李华", expectedHeadcount = 2, screens = 1 }), HttpStatusCode.NotFound, "unknown_invitation");
        // Nothing bad was stored.
        Assert.Null((await anyone.GetFromJsonAsync<Invitation>($"/api/invitations/{token}", Api.Json))!.Registration);
    }

    private static DateTimeOffset WholeMinute(DateTimeOffset at) =>
        new(at.Year, at.Month, at.Day, at.Hour, at.Minute, 0, at.Offset);

    private static string TokenOf(string link) =>
        Uri.UnescapeDataString(System.Web.HttpUtility.ParseQueryString(new Uri(link).Query)["invite"]!);

    private static async Task<SessionInvitations> InvitationsAsync(HttpClient organiser, long sessionId) =>
        (await organiser.GetFromJsonAsync<SessionInvitations>($"/api/sessions/{sessionId}/invitations", Api.Json))!;

    private static async Task<SessionRoster> RosterAsync(HttpClient organiser, long sessionId) =>
        (await organiser.GetFromJsonAsync<SessionRoster>($"/api/sessions/{sessionId}/roster", Api.Json))!;

    private static async Task<AgencyRegistration> RegisterAsync(HttpClient http, string token, object body)
    {
        var response = await http.PutAsJsonAsync($"/api/invitations/{token}/registration", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<AgencyRegistration>(Api.Json))!;
    }

    private static string QrText(Png.Image image)
    {
        var source = new RGBLuminanceSource(image.Gray, image.Width, image.Height, RGBLuminanceSource.BitmapFormat.Gray8);
        // PURE_BARCODE: the image is the QR code and nothing else (taken from our PNG or PDF). ZXing's finder-
        // pattern search, meant for photos, misses about one in a hundred of these clean images.
        var result = new QRCodeReader().decode(new BinaryBitmap(new HybridBinarizer(source)),
            new Dictionary<ZXing.DecodeHintType, object> { [ZXing.DecodeHintType.PURE_BARCODE] = true });
        Assert.NotNull(result);
        return result.Text;
    }

    [GeneratedRegex(@"M(\d+) (\d+)h(\d+)v1h-\d+z")]
    private static partial Regex SvgRun();

    /// <summary>
    /// Just enough PNG to read QRCoder's output back as gray levels: 8-bit-or-less grayscale or RGB(A),
    /// not interlaced; the IDAT chunks inflated with zlib and the scanline filters undone.
    /// </summary>
    internal static class Png
    {
        public sealed record Image(int Width, int Height, byte[] Gray);

        public static Image Decode(byte[] png)
        {
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            int width = 0, height = 0, depth = 0, colour = 0;
            byte[]? palette = null;
            using var idat = new MemoryStream();
            for (var at = 8; at < png.Length;)
            {
                var length = (png[at] << 24) | (png[at + 1] << 16) | (png[at + 2] << 8) | png[at + 3];
                var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
                var data = png.AsSpan(at + 8, length);
                switch (type)
                {
                    case "IHDR":
                        width = (data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3];
                        height = (data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7];
                        (depth, colour) = (data[8], data[9]);
                        Assert.Equal(0, data[12]); // not interlaced
                        break;
                    case "PLTE":
                        palette = data.ToArray();
                        break;
                    case "IDAT":
                        idat.Write(data);
                        break;
                }

                at += 12 + length;
            }

            var channels = colour switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new NotSupportedException($"colour type {colour}") };
            var bitsPerPixel = channels * depth;
            var stride = (width * bitsPerPixel + 7) / 8;
            var bpp = Math.Max(1, bitsPerPixel / 8);
            idat.Position = 0;
            using var inflated = new MemoryStream();
            using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
            {
                zlib.CopyTo(inflated);
            }

            var raw = inflated.ToArray();
            var rows = new byte[height][];
            var previous = new byte[stride];
            for (var y = 0; y < height; y++)
            {
                var filter = raw[y * (stride + 1)];
                var row = raw.AsSpan(y * (stride + 1) + 1, stride).ToArray();
                for (var i = 0; i < stride; i++)
                {
                    int left = i >= bpp ? row[i - bpp] : 0, up = previous[i], upLeft = i >= bpp ? previous[i - bpp] : 0;
                    row[i] = (byte)(row[i] + filter switch
                    {
                        0 => 0,
                        1 => left,
                        2 => up,
                        3 => (left + up) / 2,
                        4 => Paeth(left, up, upLeft),
                        _ => throw new NotSupportedException($"filter {filter}"),
                    });
                }

                rows[y] = previous = row;
            }

            var gray = new byte[width * height];
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    gray[y * width + x] = depth < 8
                        ? Sample(rows[y], x, depth, colour, palette)
                        : colour switch
                        {
                            0 or 4 => rows[y][x * channels * (depth / 8)],
                            _ => (byte)((rows[y][x * channels * (depth / 8)] + rows[y][(x * channels + 1) * (depth / 8)] + rows[y][(x * channels + 2) * (depth / 8)]) / 3),
                        };
                }
            }

            return new Image(width, height, gray);
        }

        private static byte Sample(byte[] row, int x, int depth, int colour, byte[]? palette)
        {
            var bit = x * depth;
            var value = (row[bit / 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1);
            if (colour == 3)
            {
                return (byte)((palette![value * 3] + palette[value * 3 + 1] + palette[value * 3 + 2]) / 3);
            }

            return (byte)(value * 255 / ((1 << depth) - 1));
        }

        private static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
    }
}

public sealed class InvitationTestsOnPostgres(PostgresAppFixture fixture) : InvitationTests(fixture.App), IClassFixture<PostgresAppFixture>;

public sealed class InvitationTestsOnSqlite(SqliteAppFixture fixture) : InvitationTests(fixture.App), IClassFixture<SqliteAppFixture>;
