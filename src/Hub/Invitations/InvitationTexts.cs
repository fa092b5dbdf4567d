using System.Globalization;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Problems;

namespace LiveExchange.Hub.Invitations;

/// <summary>
/// What the organiser pastes into a chat group or an e-mail, in Chinese or English: the invitation,
/// the reminder, and the calendar entry's description. Times are the session's own zone, named.
/// </summary>
internal abstract class InvitationTexts
{
    public static readonly string[] Languages = ["zh", "en"];

    public static string Language(string? lang)
    {
        lang ??= "zh";
        return Languages.Contains(lang) ? lang : throw ExchangeProblem.BadRequest("validation", "lang must be zh or en.");
    }

    public static InvitationTexts For(string lang) => lang == "en" ? new English() : new Chinese();

    public abstract string Invitation(InvitedSession session, Agency agency, string link);

    public abstract string Reminder(InvitedSession session, Agency agency, string link);

    public abstract string CalendarDescription(InvitedSession session, Agency agency, string link);

    public abstract string AlarmText(InvitedSession session);

    /// <summary>The start's date and time, the end's time (its date too when it differs), the zone and its offset.</summary>
    protected string When(InvitedSession session)
    {
        var start = session.InZone(session.StartsAtMs);
        var end = session.InZone(session.EndsAtMs);
        var endText = end.Date == start.Date ? Time(end) : $"{Date(end)} {Time(end)}";
        var offset = start.Offset;
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        return $"{Date(start)} {Time(start)}–{endText}{ZoneOpen}{session.TimeZone}, UTC{sign}{offset:hh\\:mm}{ZoneClose}";
    }

    private static string Time(DateTimeOffset at) => at.ToString("HH:mm", CultureInfo.InvariantCulture);

    /// <summary>Written out by hand: the names must not depend on the host's ICU data.</summary>
    protected abstract string Date(DateTimeOffset at);

    protected abstract string ZoneOpen { get; }

    protected abstract string ZoneClose { get; }

    private sealed class Chinese : InvitationTexts
    {
        private static readonly string[] Weekdays = ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"];

        protected override string Date(DateTimeOffset at) => $"{at.Year}年{at.Month}月{at.Day}日（{Weekdays[(int)at.DayOfWeek]}）";

        protected override string ZoneOpen => "（";

        protected override string ZoneClose => "）";

        public override string Invitation(InvitedSession session, Agency agency, string link) => session.IsCancelled
            ? $"""
              【活动取消】{session.Title}
              原定时间：{When(session)}
              主讲机构：{session.HostName}（{session.HostCity}）
              此次交流活动已取消，给您带来不便，敬请谅解。
              """
            : $"""
              【交流活动邀请】{session.Title}
              主讲机构：{session.HostName}（{session.HostCity}）
              时间：{When(session)}
              诚邀{agency.Name}参加本次线上交流。请先打开下面的专属链接报名（联系人、预计人数、屏幕数），活动当天用同一链接进入：
              {link}
              加入码：{session.Code}
              """;

        public override string Reminder(InvitedSession session, Agency agency, string link) => session.IsCancelled
            ? Invitation(session, agency, link)
            : $"""
              【活动提醒】{session.Title}
              将于 {When(session)} 开始（还有{session.ReminderMinutes}分钟）。
              {agency.Name}请用专属链接进入：
              {link}
              加入码：{session.Code}
              """;

        public override string CalendarDescription(InvitedSession session, Agency agency, string link) =>
            $"{(session.Description.Length > 0 ? session.Description + "\n\n" : "")}主讲机构：{session.HostName}（{session.HostCity}）\n{agency.Name}的专属链接（报名、进入）：{link}\n加入码：{session.Code}";

        public override string AlarmText(InvitedSession session) => $"{session.Title}将于{session.ReminderMinutes}分钟后开始";
    }

    private sealed class English : InvitationTexts
    {
        protected override string Date(DateTimeOffset at) => at.ToString("dddd d MMMM yyyy,", CultureInfo.InvariantCulture);

        protected override string ZoneOpen => " (";

        protected override string ZoneClose => ")";

        public override string Invitation(InvitedSession session, Agency agency, string link) => session.IsCancelled
            ? $"""
              Cancelled: {session.Title}
              Was planned for: {When(session)}
              Presented by: {session.HostName} ({session.HostCity})
              This exchange has been cancelled. We apologise for the inconvenience.
              """
            : $"""
              Invitation: {session.Title}
              Presented by: {session.HostName} ({session.HostCity})
              When: {When(session)}
              {agency.Name} is warmly invited to this online exchange. Please register first at the link below (contact person, expected number of people, screens); on the day, join through the same link:
              {link}
              Join code: {session.Code}
              """;

        public override string Reminder(InvitedSession session, Agency agency, string link) => session.IsCancelled
            ? Invitation(session, agency, link)
            : $"""
              Reminder: {session.Title}
              starts {When(session)}, in {session.ReminderMinutes} minutes.
              {agency.Name}, please join through your own link:
              {link}
              Join code: {session.Code}
              """;

        public override string CalendarDescription(InvitedSession session, Agency agency, string link) =>
            $"{(session.Description.Length > 0 ? session.Description + "\n\n" : "")}Presented by: {session.HostName} ({session.HostCity})\n{agency.Name}'s own link (register, join): {link}\nJoin code: {session.Code}";

        public override string AlarmText(InvitedSession session) => $"{session.Title} starts in {session.ReminderMinutes} minutes";
    }
}
