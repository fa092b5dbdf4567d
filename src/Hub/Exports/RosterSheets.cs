using LiveExchange.Hub.Registration;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// Who was invited, who registered and who came, per invited agency (the organiser page's invitations
/// panel, from <see cref="AgencyRoster"/>), and the absentees alone: the list a bureau follows up.
/// </summary>
internal static class RosterSheets
{
    private static readonly Column Agency = new(new("机构", "Agency"));
    private static readonly Column City = new(new("城市", "City"));
    private static readonly Column Province = new(new("省份", "Province"));
    private static readonly Column Contact = new(new("联系人", "Contact"));
    private static readonly Column Phone = new(new("联系电话", "Phone"));
    private static readonly Column Expected = new(new("预计人数", "Expected headcount"));

    public static readonly SheetSpec Agencies = new("agencies", new("受邀机构", "Invited agencies"),
    [
        Agency, City, Province, new(new("状态", "Status")), Contact, Phone, Expected, new(new("预计终端", "Screens expected")),
        new(new("到场终端", "Screens")), new(new("到场人数", "Headcount")), new(new("在线时长（分钟）", "Minutes present")),
    ]);

    public static readonly SheetSpec Absentees = new("absentees", new("缺席机构", "Absentees"),
    [
        Agency, City, Province, new(new("是否报名", "Registered")), Contact, Phone, Expected,
    ]);

    public static readonly SheetSpec[] Specs = [Agencies, Absentees];

    /// <summary>The same words as the organiser page (org.invite.status.* in src/Web/src/i18n).</summary>
    public static Words Status(string status) => status switch
    {
        AgencyStatuses.Invited => new("已邀请", "Invited"),
        AgencyStatuses.Registered => new("已报名", "Registered"),
        AgencyStatuses.Attended => new("已到场", "Attended"),
        AgencyStatuses.Absent => new("缺席", "Absent"),
        _ => new(status, status),
    };

    public static async Task<Sheet[]> BuildAsync(ExportContext context)
    {
        var session = context.Session;
        var roster = await AgencyRoster.LoadAsync(context.Connection, session.Id, session.State, session.Zone, context.Now, context.InstanceTimeout);
        var lang = context.Lang;
        static Cell Maybe(string? text) => text is { Length: > 0 } ? Cell.Of(text) : Cell.Blank;
        var all = roster.Agencies.Select(a => new[]
        {
            Cell.Of(a.Agency.Name), Cell.Of(a.Agency.City), Cell.Of(a.Agency.Province), Cell.Of(Status(a.Status).In(lang)),
            Retention.PersonalData.Shown(a.Registration?.ContactName, lang), Maybe(a.Registration?.ContactPhone),
            a.Registration is { } r ? Cell.Of(r.ExpectedHeadcount) : Cell.Blank,
            a.Registration is { } s ? Cell.Of(s.Screens) : Cell.Blank,
            Cell.Of(a.Screens), Cell.Of(a.Headcount), Cell.Of(a.Minutes),
        }).ToArray();
        var yes = new Words("是", "Yes");
        var no = new Words("否", "No");
        var absent = roster.Agencies.Where(a => a.Absent).Select(a => new[]
        {
            Cell.Of(a.Agency.Name), Cell.Of(a.Agency.City), Cell.Of(a.Agency.Province), Cell.Of((a.Registered ? yes : no).In(lang)),
            Retention.PersonalData.Shown(a.Registration?.ContactName, lang), Maybe(a.Registration?.ContactPhone),
            a.Registration is { } r ? Cell.Of(r.ExpectedHeadcount) : Cell.Blank,
        }).ToArray();
        return [new(Agencies, all), new(Absentees, absent)];
    }
}
