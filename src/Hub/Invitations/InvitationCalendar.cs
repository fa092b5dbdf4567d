using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using LiveExchange.Hub.Agencies;

namespace LiveExchange.Hub.Invitations;

/// <summary>
/// The calendar file of one agency's invitation. Its UID stays the same for the session and agency,
/// and its SEQUENCE follows sessions.sequence, so a file downloaded again after the session moved
/// updates the entry a calendar already has instead of adding a second one; a cancelled session
/// gives a cancellation of that same entry.
/// </summary>
internal static class InvitationCalendar
{
    public static string Write(InvitedSession session, Agency agency, string link, string lang, long nowMs)
    {
        var zone = session.TimeZone;
        var start = session.InZone(session.StartsAtMs).DateTime;
        var end = session.InZone(session.EndsAtMs).DateTime;
        var calendar = new Calendar
        {
            ProductId = "-//LiveExchange//Invitations//" + lang.ToUpperInvariant(),
            Method = session.IsCancelled ? "CANCEL" : "REQUEST",
        };
        // The zone's rules from a year before the session on, enough for any calendar to place it.
        calendar.AddTimeZone(VTimeZone.FromDateTimeZone(zone, start.AddYears(-1), false));
        var texts = InvitationTexts.For(lang);
        var calendarEvent = new CalendarEvent
        {
            Uid = $"liveexchange-{session.Code}-{session.Id}-{agency.Id}",
            // Every edit a calendar shows raises it, and so does cancelling: the cancellation is newer than any request.
            Sequence = (int)session.Sequence,
            DtStamp = new CalDateTime(DateTimeOffset.FromUnixTimeMilliseconds(nowMs).UtcDateTime, hasTime: true),
            DtStart = new CalDateTime(start, zone),
            DtEnd = new CalDateTime(end, zone),
            Summary = session.Title,
            Description = texts.CalendarDescription(session, agency, link),
            Location = link,
            Url = new Uri(link),
            Status = session.IsCancelled ? "CANCELLED" : "CONFIRMED",
        };
        if (!session.IsCancelled && session.ReminderMinutes > 0)
        {
            calendarEvent.Alarms.Add(new Alarm
            {
                Action = "DISPLAY",
                Description = texts.AlarmText(session),
                Trigger = new Trigger(Duration.FromMinutes(-(int)session.ReminderMinutes)),
            });
        }

        calendar.Events.Add(calendarEvent);
        return new CalendarSerializer().SerializeToString(calendar) ?? "";
    }
}
