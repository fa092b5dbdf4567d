using LiveExchange.Hub.Attendance;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// Attendance as three sheets: one row per participant (the organiser page's table), one per agency
/// (the host and every invited agency, those that never came with zeros), one per connection interval.
/// Minutes are <see cref="AttendanceReport.Minutes"/> everywhere, the number the page shows.
/// </summary>
internal static class AttendanceSheets
{
    private static readonly Words Agency = new("机构", "Agency");
    private static readonly Words City = new("城市", "City");
    private static readonly Words DisplayName = new("显示名称", "Display name");
    private static readonly Words Headcount = new("人数", "Headcount");
    private static readonly Words Minutes = new("在线时长（分钟）", "Minutes present");

    public static readonly SheetSpec Participants = new("participants", new("参会者", "Participants"),
    [
        new(Agency), new(City), new(DisplayName), new(new("角色", "Role")), new(Headcount),
        new(new("首次加入", "First joined")), new(new("最后离开", "Last left")), new(Minutes), new(new("加入次数", "Joins")),
        new(ConsentSheets.Version), new(ConsentSheets.At),
    ]);

    public static readonly SheetSpec Agencies = new("agencies", new("按机构", "By agency"),
    [
        new(Agency), new(City), new(new("类别", "Kind")), new(new("终端数", "Screens")), new(new("总人数", "Total headcount")), new(Minutes),
    ]);

    public static readonly SheetSpec Intervals = new("intervals", new("连接时段", "Intervals"),
    [
        new(Agency), new(DisplayName), new(Headcount), new(new("加入", "Joined")), new(new("离开", "Left")), new(Minutes),
    ]);

    public static readonly SheetSpec[] Specs = [Participants, Agencies, Intervals];

    private static readonly Words Invited = new("受邀机构", "Invited");

    public static async Task<Sheet[]> BuildAsync(ExportContext context)
    {
        var attendance = await context.AttendanceAsync();
        var zone = context.Session.Zone;
        var lang = context.Lang;

        var consent = await ConsentSheets.LoadAsync(context);
        var participants = attendance.Participants.Select(p => (Cell[])
        [
            Cell.Of(p.AgencyName), Cell.Of(p.City), Retention.PersonalData.Shown(p.DisplayName, lang), Cell.Of(ExportWords.Role(p.Role).In(lang)),
            Cell.Of(p.Headcount), Cell.At(p.FirstJoinedAt, zone), Cell.At(p.LastLeftAt, zone),
            Cell.Of(p.MinutesPresent), Cell.Of(p.Joins),
            .. ConsentSheets.Cells(consent.GetValueOrDefault(p.ParticipantId), zone),
        ]).ToArray();

        var agencies = AgencyFigures.Of(context.Session, attendance).Select(a => new[]
        {
            Cell.Of(a.Agency.Name), Cell.Of(a.Agency.City), Cell.Of(a.IsHost ? ExportWords.Role(Shared.ParticipantRoles.Host).In(lang) : Invited.In(lang)),
            Cell.Of(a.Screens), Cell.Of(a.Headcount), Cell.Of(a.Minutes),
        }).ToArray();

        var intervals = attendance.Intervals.Select(i => new[]
        {
            Cell.Of(i.AgencyName), Retention.PersonalData.Shown(i.DisplayName, lang), Cell.Of(i.Headcount),
            Cell.At(DateTimeOffset.FromUnixTimeMilliseconds(i.JoinedAtMs), zone),
            i.LeftAtMs is { } left ? Cell.At(DateTimeOffset.FromUnixTimeMilliseconds(left), zone) : Cell.Blank,
            Cell.Of(AttendanceReport.MinutesOfMs((i.LeftAtMs ?? attendance.NowMs) - i.JoinedAtMs)),
        }).ToArray();

        return [new(Participants, participants), new(Agencies, agencies), new(Intervals, intervals)];
    }
}

/// <summary>
/// An agency's attendance in a session: screens (its participants who attended, removed ones
/// excluded), total headcount (theirs summed) and minutes (the union of their intervals, rounded once).
/// </summary>
public sealed record AgencyFigures(Agencies.Agency Agency, bool IsHost, int Screens, int Headcount, int Minutes)
{
    /// <summary>The host first, then every invited agency (with zeros if it never came).</summary>
    public static AgencyFigures[] Of(ExportedSession session, SessionAttendance attendance) =>
        new[] { (Agency: session.Host, IsHost: true) }
            .Concat(session.Invited.Select(a => (Agency: a, IsHost: false)))
            .Select(a =>
            {
                var theirs = attendance.Participants.Where(p => p.AgencyId == a.Agency.Id).ToArray();
                return new AgencyFigures(a.Agency, a.IsHost, theirs.Length, theirs.Sum(p => p.Headcount),
                    AttendanceReport.MinutesOfMs(attendance.AgencyPresentMs(a.Agency.Id)));
            })
            .ToArray();
}
