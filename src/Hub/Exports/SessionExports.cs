using System.Data.Common;
using LiveExchange.Hub.Attendance;

namespace LiveExchange.Hub.Exports;

/// <summary>What a builder gets: the session, a connection, the language, and the attendance read once.</summary>
public sealed class ExportContext(DbConnection connection, ExportedSession session, ExportLanguage lang, DateTimeOffset now, TimeSpan instanceTimeout,
    Feedback.FeedbackWindows feedbackWindows)
{
    private SessionAttendance? _attendance;

    public DbConnection Connection => connection;

    public ExportedSession Session => session;

    public ExportLanguage Lang => lang;

    public DateTimeOffset Now => now;

    /// <summary>Attendance:InstanceTimeoutSeconds: an open interval on a silent instance ended at its last heartbeat.</summary>
    public TimeSpan InstanceTimeout => instanceTimeout;

    public Feedback.FeedbackWindows FeedbackWindows => feedbackWindows;

    public async Task<SessionAttendance> AttendanceAsync() =>
        _attendance ??= await AttendanceReport.LoadSessionAsync(connection, session.Id, now, instanceTimeout);
}

/// <summary>
/// One kind of file a session can be downloaded as: a key (the routes' and file names' English word),
/// a label, the sheets it holds, and the builder that fills them. One XLSX workbook holds all its
/// sheets; CSV is one file per sheet.
/// </summary>
public sealed record SessionExport(string Key, Words Label, SheetSpec[] Sheets, Func<ExportContext, Task<Sheet[]>> BuildAsync);

/// <summary>
/// Every export of a session. The session report (a zip) holds each of them as XLSX and as CSV, and
/// the organiser page offers a download for each; a new one (feedback responses and summary,
/// absentees from the roster) is one more entry here, with its sheet specs and a builder.
/// </summary>
public static class SessionExports
{
    public static readonly SessionExport[] All =
    [
        new("attendance", new("出勤", "Attendance"), AttendanceSheets.Specs, AttendanceSheets.BuildAsync),
        new("questions", new("提问", "Questions"), QuestionSheets.Specs, QuestionSheets.BuildAsync),
        new("feedback", new("反馈", "Feedback"), FeedbackSheets.Specs, FeedbackSheets.BuildAsync),
        new("roster", new("报名与到场", "Registration and attendance"), RosterSheets.Specs, RosterSheets.BuildAsync),
        // --- Reactions ---
        new("reactions", new("互动表情", "Reactions"), ReactionSheets.Specs, ReactionSheets.BuildAsync),
        // --- Polls ---
        new("polls", new("投票", "Polls"), PollSheets.Specs, PollSheets.BuildAsync),
        // --- Room rosters ---
        new("people", new("参会人员", "People"), PeopleSheets.Specs, PeopleSheets.BuildAsync),
    ];

    public static SessionExport? Find(string key) => All.FirstOrDefault(e => e.Key == key);
}
