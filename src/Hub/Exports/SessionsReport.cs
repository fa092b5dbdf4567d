using System.Data.Common;
using System.Globalization;
using Dapper;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// One past or current session with its figures, as a bureau reports its exchanges. Figures are the
/// attendance export's: screens and people count every participant who attended (the host's too),
/// minutes are the sum of the agencies' minutes (each the union of its screens' intervals, rounded),
/// agencies attended counts the invited agencies with any attendance. Feedback: the responses, the
/// people they speak for, and the average of the form's first rating question (the default form's
/// "overall"), per response, as the organiser page's results show it.
/// </summary>
public sealed record SessionFigures(
    long SessionId,
    string Code,
    string Title,
    string Date,
    DateTimeOffset StartsAt,
    string TimeZone,
    string State,
    Agency HostAgency,
    int InvitedAgencies,
    int AgenciesAttended,
    int Screens,
    int People,
    int Minutes,
    int Questions,
    int FeedbackResponses,
    int FeedbackPeople,
    double? OverallRating);

public sealed record SessionsTotals(int Sessions, int Screens, int People, int Minutes, int Questions, int FeedbackResponses);

public sealed record SessionsReportResult(SessionFigures[] Sessions, SessionsTotals Totals);

/// <summary>The filters of <c>GET /api/reports/sessions</c>: all optional, dates inclusive, in each session's own zone.</summary>
public sealed record SessionsFilter(long? AgencyId, string? City, string? From, string? To)
{
    public static SessionsFilter Checked(long? agencyId, string? city, string? from, string? to) =>
        new(agencyId, string.IsNullOrWhiteSpace(city) ? null : city.Trim(), Date(from, "from"), Date(to, "to"));

    private static string? Date(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw ExchangeProblem.BadRequest("validation", $"{field} must be a date like 2026-03-16.");
        }

        return date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    /// <summary>Held by the agency (host or invited) and in the city (the host's or an invited agency's).</summary>
    public bool Matches(ExportedSession s)
    {
        var agencies = s.Invited.Prepend(s.Host).ToArray();
        return (AgencyId is not { } id || agencies.Any(a => a.Id == id))
            && (City is null || agencies.Any(a => string.Equals(a.City, City, StringComparison.OrdinalIgnoreCase)))
            && (From is null || string.CompareOrdinal(s.LocalDate, From) >= 0)
            && (To is null || string.CompareOrdinal(s.LocalDate, To) <= 0);
    }
}

internal static class SessionsReport
{
    public static readonly SheetSpec Spec = new("sessions", new("交流活动", "Sessions"),
    [
        new(new("开始时间", "Starts at")), new(new("时区", "Time zone")), new(new("标题", "Title")), new(new("状态", "State")),
        new(new("主讲机构", "Host agency")), new(new("主讲城市", "Host city")), new(new("受邀机构数", "Invited agencies")),
        new(new("出席机构数", "Agencies attended")), new(new("终端数", "Screens")), new(new("人数", "People")),
        new(new("总时长（分钟）", "Total minutes")), new(new("提问数", "Questions")),
        new(new("反馈数", "Feedback responses")), new(new("反馈代表人数", "Feedback people")), new(new("总体评分", "Overall rating")),
    ]);

    public static readonly Words Label = new("交流活动汇总", "Sessions report");

    private static readonly Words Filter = new("筛选", "Filter");
    private static readonly Words All = new("全部", "All");
    private static readonly Words EachZone = new("各场次所在时区（见“时区”列）", "Each session's own (see the Time zone column)");

    public static async Task<SessionsReportResult> LoadAsync(DbConnection connection, SessionsFilter filter, SessionGate gate,
        Feedback.FeedbackWindows feedbackWindows, DateTimeOffset now, TimeSpan instanceTimeout)
    {
        var sessions = (await ExportedSessions.LoadAllAsync(connection, gate))
            .Where(s => s.State is SessionStates.Live or SessionStates.Ended && filter.Matches(s));
        var figures = new List<SessionFigures>();
        foreach (var s in sessions)
        {
            var attendance = await Attendance.AttendanceReport.LoadSessionAsync(connection, s.Id, now, instanceTimeout);
            var agencies = AgencyFigures.Of(s, attendance);
            var questions = await connection.ExecuteScalarAsync<long>(QuestionSheets.CountQuestions, new { sessionId = s.Id });
            var feedback = await Feedback.FeedbackResults.LoadAsync(connection, s.Id, feedbackWindows);
            figures.Add(new SessionFigures(
                s.Id, s.Code, s.Title, s.LocalDate, TimeZoneInfo.ConvertTime(s.StartsAt, s.Zone), s.TimeZoneId, s.State, s.Host,
                s.Invited.Length,
                agencies.Count(a => !a.IsHost && a.Screens > 0),
                attendance.Participants.Length,
                attendance.Participants.Sum(p => p.Headcount),
                agencies.Sum(a => a.Minutes),
                (int)questions,
                feedback.Responses,
                feedback.People,
                feedback.Questions.FirstOrDefault(q => q.Kind == Feedback.FeedbackKinds.Rating)?.Average));
        }

        return new SessionsReportResult(figures.ToArray(), new SessionsTotals(
            figures.Count, figures.Sum(f => f.Screens), figures.Sum(f => f.People), figures.Sum(f => f.Minutes), figures.Sum(f => f.Questions),
            figures.Sum(f => f.FeedbackResponses)));
    }

    public static Sheet Sheet(SessionsReportResult report, ExportLanguage lang) => new(Spec, report.Sessions.Select(f => new[]
    {
        new TimeCell(f.StartsAt.DateTime), Cell.Of(f.TimeZone), Cell.Of(f.Title), Cell.Of(StateWords(f.State).In(lang)),
        Cell.Of(f.HostAgency.Name), Cell.Of(f.HostAgency.City), Cell.Of(f.InvitedAgencies), Cell.Of(f.AgenciesAttended),
        Cell.Of(f.Screens), Cell.Of(f.People), Cell.Of(f.Minutes), Cell.Of(f.Questions),
        Cell.Of(f.FeedbackResponses), Cell.Of(f.FeedbackPeople), f.OverallRating is { } rating ? Cell.Of((decimal)Math.Round(rating, 2)) : Cell.Blank,
    }).ToArray());

    public static HeadingLine[] Heading(SessionsFilter filter, string? agencyName, ExportLanguage lang)
    {
        var parts = new List<string>();
        if (agencyName is not null)
        {
            parts.Add($"{new Words("机构", "Agency").In(lang)}: {agencyName}");
        }

        if (filter.City is not null)
        {
            parts.Add($"{new Words("城市", "City").In(lang)}: {filter.City}");
        }

        return
        [
            new(ExportWords.Session, Label.In(lang)),
            new(ExportWords.Date, filter.From is null && filter.To is null ? All.In(lang) : $"{filter.From ?? "…"} – {filter.To ?? "…"}"),
            new(ExportWords.TimeZone, EachZone.In(lang)),
            new(Filter, parts.Count == 0 ? All.In(lang) : string.Join("; ", parts)),
        ];
    }

    private static Words StateWords(string state) => state switch
    {
        SessionStates.Live => new("进行中", "Live"),
        SessionStates.Ended => new("已结束", "Ended"),
        _ => new(state, state),
    };
}
