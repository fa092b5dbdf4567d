using Dapper;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Retention;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// One row per person a screen listed in its room roster (room_members): who they were, when they were
/// added and removed, and their minutes: the screen's attendance within [added, removed), rounded as every
/// other minute figure (<see cref="AttendanceReport.Minutes"/>). With the consent the screen gave at joining.
/// </summary>
internal static class PeopleSheets
{
    private const string SelectPeople = """
        select m.participant_id as ParticipantId, m.name, m.job_title as JobTitle, m.added_at_ms as AddedAtMs, m.removed_at_ms as RemovedAtMs,
               p.display_name as DisplayName, a.name as AgencyName, a.city, p.consent_version as ConsentVersion, p.consented_at_ms as ConsentedAtMs
        from room_members m
        join participants p on p.id = m.participant_id
        join agencies a on a.id = p.agency_id
        where m.session_id = @sessionId and p.removed_at_ms is null
        order by a.name, p.id, m.added_at_ms, m.id
        """;

    public static readonly SheetSpec People = new("people", new("参会人员", "People"),
    [
        new(new("机构", "Agency")), new(new("城市", "City")), new(new("终端", "Screen")), new(new("姓名", "Name")),
        new(new("职务", "Job title")), new(new("加入名单", "Added")), new(new("移出名单", "Removed")),
        new(new("在场时长（分钟）", "Minutes present")), new(ConsentSheets.Version), new(ConsentSheets.At),
    ]);

    public static readonly SheetSpec[] Specs = [People];

    public static async Task<Sheet[]> BuildAsync(ExportContext context)
    {
        var attendance = await context.AttendanceAsync();
        var zone = context.Session.Zone;
        var lang = context.Lang;
        var byScreen = attendance.Intervals.ToLookup(i => i.ParticipantId);
        var rows = (await context.Connection.QueryAsync<PersonRow>(SelectPeople, new { sessionId = context.Session.Id })).Select(p =>
        {
            var end = p.RemovedAtMs ?? attendance.NowMs;
            var presentMs = AttendanceReport.UnionMs(byScreen[p.ParticipantId]
                .Select(i => (Math.Max(i.JoinedAtMs, p.AddedAtMs), Math.Min(i.LeftAtMs ?? attendance.NowMs, end))));
            return new[]
            {
                Cell.Of(p.AgencyName), Cell.Of(p.City), PersonalData.Shown(p.DisplayName, lang), PersonalData.Shown(p.Name, lang),
                p.JobTitle is { } title ? Cell.Of(title) : Cell.Blank,
                Cell.At(DateTimeOffset.FromUnixTimeMilliseconds(p.AddedAtMs), zone),
                p.RemovedAtMs is { } removed ? Cell.At(DateTimeOffset.FromUnixTimeMilliseconds(removed), zone) : Cell.Blank,
                Cell.Of(AttendanceReport.MinutesOfMs(presentMs)),
                p.ConsentVersion is { } version ? Cell.Of(version) : Cell.Blank,
                Cell.At(p.ConsentedAtMs is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, zone),
            };
        }).ToArray();
        return [new(People, rows)];
    }

    private sealed class PersonRow
    {
        public long ParticipantId { get; init; }
        public string Name { get; init; } = "";
        public string? JobTitle { get; init; }
        public long AddedAtMs { get; init; }
        public long? RemovedAtMs { get; init; }
        public string DisplayName { get; init; } = "";
        public string AgencyName { get; init; } = "";
        public string City { get; init; } = "";
        public long? ConsentVersion { get; init; }
        public long? ConsentedAtMs { get; init; }
    }
}

/// <summary>The consent a screen gave at joining, as the attendance and people sheets show it.</summary>
internal static class ConsentSheets
{
    public static readonly Words Version = new("同意的告知版本", "Consent notice version");
    public static readonly Words At = new("同意时间", "Consented at");

    private const string SelectConsent = """
        select id, consent_version as ConsentVersion, consented_at_ms as ConsentedAtMs from participants where session_id = @sessionId
        """;

    public static async Task<Dictionary<long, (long? Version, long? AtMs)>> LoadAsync(ExportContext context) =>
        (await context.Connection.QueryAsync<ConsentRow>(SelectConsent, new { sessionId = context.Session.Id }))
            .ToDictionary(r => r.Id, r => (r.ConsentVersion, r.ConsentedAtMs));

    public static Cell[] Cells((long? Version, long? AtMs) consent, TimeZoneInfo zone) =>
    [
        consent.Version is { } v ? Cell.Of(v) : Cell.Blank,
        Cell.At(consent.AtMs is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, zone),
    ];

    private sealed class ConsentRow
    {
        public long Id { get; init; }
        public long? ConsentVersion { get; init; }
        public long? ConsentedAtMs { get; init; }
    }
}
