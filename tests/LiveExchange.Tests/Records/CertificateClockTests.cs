using System.Net.Http.Json;
using LiveExchange.Hub.Certificates;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Organising;

namespace LiveExchange.Tests.Records;

/// <summary>
/// The 80 % edge through the hub with the app's clock moved (<see cref="ShiftableClock"/>): two screens connect
/// before the start, one leaves after 47 min 24 s (79 %), the other after 48 min (80 %) of a 60-minute session.
/// Real time adds a few milliseconds to each, never enough to cross a percent.
/// </summary>
public abstract class CertificateClockTests(ExchangeApp app, ShiftableClock clock)
{
    private readonly Api _api = new(app.BaseAddress);

    [Fact]
    public async Task Through_the_hub_48_of_60_minutes_is_eligible_at_80_percent_and_47_point_4_is_not()
    {
        var now = clock.GetUtcNow();
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(2);
        var (session, invited) = await _api.ScheduleAsync("八成规则", start, start.AddHours(1));
        var eighty = await _api.JoinAsync(session.Code, invited[0].Id, "八成");
        var seventyNine = await _api.JoinAsync(session.Code, invited[1].Id, "七成九");
        using var organiser = _api.Organiser();

        // Both connect in the lobby, before the start (lobby time counts for nothing).
        var screenA = await LiveClient.ConnectAsync(_api.BaseAddress, eighty.ParticipantToken);
        var screenB = await LiveClient.ConnectAsync(_api.BaseAddress, seventyNine.ParticipantToken);
        clock.Advance(start - clock.GetUtcNow() + TimeSpan.FromMinutes(47.4));
        await screenB.DisposeAsync();
        await WaitLeftAsync(organiser, session.Id, "七成九");
        clock.Advance(TimeSpan.FromSeconds(36));
        await screenA.DisposeAsync();
        await WaitLeftAsync(organiser, session.Id, "八成");
        // Ended by hand after the planned end: the window is the scheduled hour.
        clock.Advance(TimeSpan.FromMinutes(13));
        Assert.True((await organiser.PostAsync($"/api/sessions/{session.Id}/end", null)).IsSuccessStatusCode);

        var response = await organiser.PutAsJsonAsync($"/api/sessions/{session.Id}/certificates/rule", new { minPercent = 80, feedbackRequired = false, ceHours = 1 });
        var overview = (await response.Content.ReadFromJsonAsync<CertificateOverview>(Api.Json))!;
        Assert.Equal(3600, overview.Window.LengthSeconds);
        var a = overview.People.Single(p => p.Name == "八成");
        var b = overview.People.Single(p => p.Name == "七成九");
        Assert.InRange(a.PresentPercent, 80m, 80.05m);
        Assert.InRange(b.PresentPercent, 79m, 79.05m);
        Assert.Equal((true, false), (a.Eligible, b.Eligible));
    }

    /// <summary>
    /// The screen's leave is written (the hub does it on disconnect, asynchronously): the clock must not move
    /// before, or the leave would be stamped with the moved time.
    /// </summary>
    private static async Task WaitLeftAsync(HttpClient organiser, long sessionId, string name)
    {
        for (var i = 0; i < 100; i++)
        {
            var rows = (await organiser.GetFromJsonAsync<LiveExchange.Hub.Attendance.ParticipantAttendance[]>($"/api/sessions/{sessionId}/attendance", Api.Json))!;
            if (rows.Single(r => r.DisplayName == name).LastLeftAt is not null)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"{name}'s leave was not written");
    }
}

public sealed class CertificateClockTestsOnPostgres(PeoplePostgresFixture fixture)
    : CertificateClockTests(fixture.App, fixture.Clock), IClassFixture<PeoplePostgresFixture>;

public sealed class CertificateClockTestsOnSqlite(PeopleSqliteFixture fixture)
    : CertificateClockTests(fixture.App, fixture.Clock), IClassFixture<PeopleSqliteFixture>;
