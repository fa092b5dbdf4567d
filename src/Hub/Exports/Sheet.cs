using System.Globalization;

namespace LiveExchange.Hub.Exports;

/// <summary>The language a file's headers and words are in (<c>lang=zh|en</c>, Chinese by default).</summary>
public enum ExportLanguage
{
    Zh,
    En,
}

/// <summary>A word or phrase in both languages.</summary>
public readonly record struct Words(string Zh, string En)
{
    public string In(ExportLanguage lang) => lang == ExportLanguage.Zh ? Zh : En;
}

/// <summary>One column: its header in both languages.</summary>
public sealed record Column(Words Header);

/// <summary>
/// What a sheet is before it has rows: a key for its CSV route, a name in both languages (the
/// workbook tab, the CSV's file name) and its columns. Fixed per kind of export, so the catalogue
/// can list it without reading any data.
/// </summary>
public sealed record SheetSpec(string Key, Words Name, Column[] Columns);

/// <summary>A sheet with its rows: each row one cell per column.</summary>
public sealed record Sheet(SheetSpec Spec, IReadOnlyList<Cell[]> Rows);

/// <summary>
/// A typed cell. Writers keep the type: an XLSX holds numbers as numbers and times as dates, text as
/// text (never a formula); a CSV defuses text that a spreadsheet would read as a formula.
/// </summary>
public abstract record Cell
{
    public static readonly Cell Blank = new BlankCell();

    public static Cell Of(string value) => new TextCell(value);

    public static Cell Of(long value) => new IntegerCell(value);

    public static Cell Of(decimal value) => new DecimalCell(value);

    /// <summary>A moment shown as the wall-clock time in <paramref name="zone"/> (the session's zone); blank when null.</summary>
    public static Cell At(DateTimeOffset? at, TimeZoneInfo zone) =>
        at is { } value ? new TimeCell(TimeZoneInfo.ConvertTime(value, zone).DateTime) : Blank;
}

public sealed record TextCell(string Value) : Cell;

public sealed record IntegerCell(long Value) : Cell;

public sealed record DecimalCell(decimal Value) : Cell;

/// <summary>A local date and time, already in the zone the file states in its heading.</summary>
public sealed record TimeCell(DateTime Local) : Cell
{
    public string Text => Local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}

public sealed record BlankCell : Cell;

/// <summary>
/// The few lines every file starts with: what it is about, its date, its time zone. A reader of a
/// forwarded file knows which session it is and in which clock its times are.
/// </summary>
public sealed record HeadingLine(Words Label, string Value);

/// <summary>The words every file and sheet shares, so a screen and a file say the same.</summary>
public static class ExportWords
{
    public static readonly Words Session = new("交流活动", "Session");
    public static readonly Words Date = new("日期", "Date");
    public static readonly Words TimeZone = new("时区", "Time zone");

    /// <summary>The same words as the organiser page's role.host / role.viewer (src/Web/src/i18n).</summary>
    public static Words Role(string role) => role switch
    {
        Shared.ParticipantRoles.Host => new("主讲方", "Host"),
        Shared.ParticipantRoles.Viewer => new("观看方", "Viewer"),
        Shared.ParticipantRoles.Moderator => new("问答主持", "Moderator"),
        _ => new(role, role),
    };

    public static ExportLanguage? Language(string? lang) => (lang ?? "zh") switch
    {
        "zh" => ExportLanguage.Zh,
        "en" => ExportLanguage.En,
        _ => null,
    };

    public static ExportLanguage RequireLanguage(string? lang) =>
        Language(lang) ?? throw Problems.ExchangeProblem.BadRequest("validation", "lang must be zh or en.");

    /// <summary>The heading of a session's files: its title, its local date and its IANA time zone.</summary>
    public static HeadingLine[] SessionHeading(string title, DateTimeOffset startsAt, TimeZoneInfo zone, string zoneId) =>
    [
        new(Session, title),
        new(Date, TimeZoneInfo.ConvertTime(startsAt, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        new(TimeZone, $"{zoneId} (UTC{Offset(zone.GetUtcOffset(startsAt))})"),
    ];

    private static string Offset(TimeSpan offset) =>
        (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);
}
