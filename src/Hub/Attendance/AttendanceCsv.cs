using System.Globalization;
using System.Text;

namespace LiveExchange.Hub.Attendance;

/// <summary>
/// The attendance sheet as CSV: UTF-8 with a byte-order mark, because Excel on Chinese Windows
/// reads a BOM-less file as GBK and garbles every name.
/// </summary>
internal static class AttendanceCsv
{
    private static readonly string[] ZhHeaders = ["机构", "城市", "显示名称", "角色", "人数", "首次加入", "最后离开", "在线时长（分钟）", "加入次数"];
    private static readonly string[] EnHeaders = ["Agency", "City", "Display name", "Role", "Headcount", "First joined", "Last left", "Minutes present", "Joins"];

    public static bool IsLanguage(string lang) => lang is "zh" or "en";

    public static byte[] Write(IEnumerable<ParticipantAttendance> rows, string lang, TimeZoneInfo zone)
    {
        var zh = lang == "zh";
        var csv = new StringBuilder();
        Line(csv, zh ? ZhHeaders : EnHeaders);
        foreach (var r in rows)
        {
            Line(csv,
            [
                r.AgencyName,
                r.City,
                r.DisplayName,
                RoleName(r.Role, zh),
                r.Headcount.ToString(CultureInfo.InvariantCulture),
                Time(r.FirstJoinedAt, zone),
                r.LastLeftAt is { } left ? Time(left, zone) : "",
                r.MinutesPresent.ToString("0.0", CultureInfo.InvariantCulture),
                r.Joins.ToString(CultureInfo.InvariantCulture),
            ]);
        }

        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv.ToString())];
    }

    private static string RoleName(string role, bool zh) => (role, zh) switch
    {
        ("host", true) => "主讲方",
        ("viewer", true) => "观看方",
        _ => role,
    };

    private static string Time(DateTimeOffset at, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder csv, string[] cells)
    {
        csv.AppendJoin(',', cells.Select(Cell));
        csv.Append("\r\n");
    }

    private static string Cell(string value)
    {
        // A cell starting with = + - @ is a formula to Excel; names are user text, so defuse it. Text
        // stored before input was checked may also start with a control or bidi character, or a
        // zero-width one hiding a formula behind it: the same quote keeps Excel from reading it.
        if (value.Length > 0 && ("=+-@\t\r\n".Contains(value[0]) || Problems.Check.IsForbidden(value[0])
            || System.Globalization.CharUnicodeInfo.GetUnicodeCategory(value[0]) == System.Globalization.UnicodeCategory.Format))
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
