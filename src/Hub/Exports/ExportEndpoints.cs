using System.IO.Compression;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Feedback;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Exports;

/// <summary>What each session can be downloaded as: the catalogue the organiser page builds its links from.</summary>
public sealed record ExportCatalogue(ExportDescription[] Exports, string[] Languages, string[] Formats);

public sealed record ExportDescription(string Key, string NameZh, string NameEn, ExportSheetDescription[] Sheets);

public sealed record ExportSheetDescription(string Key, string NameZh, string NameEn);

/// <summary>
/// Files for the organiser (docs/api.md, "Exports"):
/// <c>/api/sessions/{id}/exports/{export}.xlsx</c> (one workbook),
/// <c>/api/sessions/{id}/exports/{export}/{sheet}.csv</c> (one sheet),
/// <c>/api/sessions/{id}/exports/report.zip</c> (everything, both formats),
/// and across sessions <c>/api/reports/sessions</c> (JSON), <c>.xlsx</c>, <c>.csv</c>. All take <c>lang=zh|en</c>.
/// </summary>
public static class ExportEndpoints
{
    private const string SelectAgencyName = "select name from agencies where id = @id";

    private static readonly Words ReportLabel = new("交流报告", "Session report");

    public static IEndpointRouteBuilder MapExports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/exports", Catalogue).RequireAuthorization(ExchangePolicies.Organiser);

        var session = app.MapGroup("/api/sessions/{id:long}").RequireAuthorization(ExchangePolicies.Organiser);
        session.MapGet("/exports/{export}.xlsx", XlsxAsync);
        session.MapGet("/exports/{export}/{sheet}.csv", CsvAsync);
        session.MapGet("/exports/report.zip", ReportAsync);
        // The link organisers had before the exports: the participants sheet as CSV.
        session.MapGet("/attendance.csv", (long id, string? lang, HttpContext http, Database database, SessionGate gate,
            TimeProvider clock, IOptions<AttendanceOptions> options, FeedbackWindows windows, CancellationToken ct) =>
            CsvAsync(id, "attendance", AttendanceSheets.Participants.Key, lang, http, database, gate, clock, options, windows, ct));

        var reports = app.MapGroup("/api/reports").RequireAuthorization(ExchangePolicies.Organiser);
        reports.MapGet("/sessions", SessionsAsync);
        reports.MapGet("/sessions.xlsx", (long? agencyId, string? city, string? from, string? to, string? lang, HttpContext http,
            Database database, SessionGate gate, TimeProvider clock, IOptions<AttendanceOptions> options, FeedbackWindows windows, CancellationToken ct) =>
            SessionsFileAsync("xlsx", agencyId, city, from, to, lang, http, database, gate, clock, options, windows, ct));
        reports.MapGet("/sessions.csv", (long? agencyId, string? city, string? from, string? to, string? lang, HttpContext http,
            Database database, SessionGate gate, TimeProvider clock, IOptions<AttendanceOptions> options, FeedbackWindows windows, CancellationToken ct) =>
            SessionsFileAsync("csv", agencyId, city, from, to, lang, http, database, gate, clock, options, windows, ct));
        return app;
    }

    private static Ok<ExportCatalogue> Catalogue() => TypedResults.Ok(new ExportCatalogue(
        SessionExports.All.Select(e => new ExportDescription(e.Key, e.Label.Zh, e.Label.En,
            e.Sheets.Select(s => new ExportSheetDescription(s.Key, s.Name.Zh, s.Name.En)).ToArray())).ToArray(),
        ["zh", "en"],
        ["xlsx", "csv"]));

    private static async Task<FileContentHttpResult> XlsxAsync(long id, string export, string? lang, HttpContext http,
        Database database, SessionGate gate, TimeProvider clock, IOptions<AttendanceOptions> options, FeedbackWindows windows, CancellationToken ct)
    {
        var language = ExportWords.RequireLanguage(lang);
        var kind = FindExport(export);
        await using var connection = await database.OpenAsync(ct);
        var context = await ContextAsync(connection, id, language, gate, clock, options, windows);
        var file = await XlsxFileAsync(context, kind);
        return Send(http, file.Bytes, SheetWorkbook.ContentType, file.Name);
    }

    private static async Task<FileContentHttpResult> CsvAsync(long id, string export, string sheet, string? lang, HttpContext http,
        Database database, SessionGate gate, TimeProvider clock, IOptions<AttendanceOptions> options, FeedbackWindows windows, CancellationToken ct)
    {
        var language = ExportWords.RequireLanguage(lang);
        var kind = FindExport(export);
        if (!kind.Sheets.Any(s => s.Key == sheet))
        {
            throw ExchangeProblem.NotFound("export_not_found",
                $"The {kind.Key} export has the sheets {string.Join(", ", kind.Sheets.Select(s => s.Key))}.");
        }

        await using var connection = await database.OpenAsync(ct);
        var context = await ContextAsync(connection, id, language, gate, clock, options, windows);
        var built = (await kind.BuildAsync(context)).Single(s => s.Spec.Key == sheet);
        var file = CsvFile(context, kind, built);
        return Send(http, file.Bytes, SheetCsv.ContentType, file.Name);
    }

    /// <summary>Every export of the session in one zip: each as an XLSX workbook and as one CSV per sheet.</summary>
    private static async Task<FileContentHttpResult> ReportAsync(long id, string? lang, HttpContext http,
        Database database, SessionGate gate, TimeProvider clock, IOptions<AttendanceOptions> options, FeedbackWindows windows, CancellationToken ct)
    {
        var language = ExportWords.RequireLanguage(lang);
        await using var connection = await database.OpenAsync(ct);
        var context = await ContextAsync(connection, id, language, gate, clock, options, windows);
        using var zipped = new MemoryStream();
        using (var zip = new ZipArchive(zipped, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var kind in SessionExports.All)
            {
                var sheets = await kind.BuildAsync(context);
                var files = sheets.Select(s => CsvFile(context, kind, s)).Prepend(XlsxFile(context, kind, sheets));
                foreach (var (name, bytes) in files)
                {
                    var entry = zip.CreateEntry(name.Full, CompressionLevel.Optimal);
                    await using var stream = entry.Open();
                    await stream.WriteAsync(bytes, ct);
                }
            }
        }

        var session = context.Session;
        var zipName = DownloadName.Of(session.LocalDate, session.Title, ReportLabel, "report", language, "zip");
        return Send(http, zipped.ToArray(), "application/zip", zipName);
    }

    private static async Task<Ok<SessionsReportResult>> SessionsAsync(long? agencyId, string? city, string? from, string? to,
        Database database, SessionGate gate, TimeProvider clock, IOptions<AttendanceOptions> options, FeedbackWindows windows, CancellationToken ct)
    {
        var filter = SessionsFilter.Checked(agencyId, city, from, to);
        await using var connection = await database.OpenAsync(ct);
        return TypedResults.Ok(await SessionsReport.LoadAsync(connection, filter, gate, windows, clock.GetUtcNow(),
            TimeSpan.FromSeconds(options.Value.InstanceTimeoutSeconds)));
    }

    private static async Task<FileContentHttpResult> SessionsFileAsync(string format, long? agencyId, string? city, string? from, string? to,
        string? lang, HttpContext http, Database database, SessionGate gate, TimeProvider clock, IOptions<AttendanceOptions> options,
        FeedbackWindows windows, CancellationToken ct)
    {
        var language = ExportWords.RequireLanguage(lang);
        var filter = SessionsFilter.Checked(agencyId, city, from, to);
        await using var connection = await database.OpenAsync(ct);
        var agencyName = agencyId is { } aid ? await connection.QuerySingleOrDefaultAsync<string>(SelectAgencyName, new { id = aid }) : null;
        var report = await SessionsReport.LoadAsync(connection, filter, gate, windows, clock.GetUtcNow(), TimeSpan.FromSeconds(options.Value.InstanceTimeoutSeconds));
        var heading = SessionsReport.Heading(filter, agencyName, language);
        var sheet = SessionsReport.Sheet(report, language);
        var date = filter.From ?? filter.To ?? clock.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var name = DownloadName.Of(date, null, SessionsReport.Label, "sessions", language, format);
        return format == "xlsx"
            ? Send(http, SheetWorkbook.Write(SessionsReport.Label.In(language), heading, [sheet], language), SheetWorkbook.ContentType, name)
            : Send(http, SheetCsv.Write(heading, sheet, language), SheetCsv.ContentType, name);
    }

    private static SessionExport FindExport(string key) =>
        SessionExports.Find(key) ?? throw ExchangeProblem.NotFound("export_not_found",
            $"No export '{key[..Math.Min(key.Length, 40)]}'; there are {string.Join(", ", SessionExports.All.Select(e => e.Key))}.");

    private static async Task<ExportContext> ContextAsync(System.Data.Common.DbConnection connection, long id, ExportLanguage lang,
        SessionGate gate, TimeProvider clock, IOptions<AttendanceOptions> options, FeedbackWindows windows) =>
        new(connection, await ExportedSessions.LoadOneAsync(connection, id, gate), lang, clock.GetUtcNow(),
            TimeSpan.FromSeconds(options.Value.InstanceTimeoutSeconds), windows);

    private static async Task<(DownloadName Name, byte[] Bytes)> XlsxFileAsync(ExportContext context, SessionExport kind) =>
        XlsxFile(context, kind, await kind.BuildAsync(context));

    private static (DownloadName Name, byte[] Bytes) XlsxFile(ExportContext context, SessionExport kind, Sheet[] sheets)
    {
        var s = context.Session;
        return (DownloadName.Of(s.LocalDate, s.Title, kind.Label, kind.Key, context.Lang, "xlsx"),
            SheetWorkbook.Write(s.Title, s.Heading, sheets, context.Lang));
    }

    private static (DownloadName Name, byte[] Bytes) CsvFile(ExportContext context, SessionExport kind, Sheet sheet)
    {
        var s = context.Session;
        var label = new Words($"{kind.Label.Zh}-{sheet.Spec.Name.Zh}", $"{kind.Label.En} - {sheet.Spec.Name.En}");
        // An export of one sheet is named after the export alone.
        var key = kind.Sheets.Length == 1 ? kind.Key : $"{kind.Key}-{sheet.Spec.Key}";
        return (DownloadName.Of(s.LocalDate, s.Title, kind.Sheets.Length == 1 ? kind.Label : label, key, context.Lang, "csv"),
            SheetCsv.Write(s.Heading, sheet, context.Lang));
    }

    private static FileContentHttpResult Send(HttpContext http, byte[] bytes, string contentType, DownloadName name)
    {
        http.Response.Headers.ContentDisposition = name.ContentDisposition();
        return TypedResults.File(bytes, contentType);
    }
}
