using System.Globalization;
using System.Text;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// One sheet as CSV: UTF-8 with a byte-order mark (Excel on Chinese Windows reads a BOM-less file as
/// GBK and garbles every name), CRLF lines, the heading lines (label, value) first, then a blank line,
/// then the header and the rows.
/// </summary>
internal static class SheetCsv
{
    public const string ContentType = "text/csv; charset=utf-8";

    public static byte[] Write(HeadingLine[] heading, Sheet sheet, ExportLanguage lang)
    {
        var csv = new StringBuilder();
        foreach (var line in heading)
        {
            Line(csv, [Text(line.Label.In(lang)), Text(line.Value)]);
        }

        csv.Append("\r\n");
        Line(csv, sheet.Spec.Columns.Select(c => Text(c.Header.In(lang))));
        foreach (var row in sheet.Rows)
        {
            Line(csv, row.Select(Value));
        }

        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv.ToString())];
    }

    private static string Value(Cell cell) => cell switch
    {
        TextCell t => Text(t.Value),
        IntegerCell i => i.Value.ToString(CultureInfo.InvariantCulture),
        DecimalCell d => d.Value.ToString("0.##", CultureInfo.InvariantCulture),
        TimeCell t => t.Text,
        _ => "",
    };

    private static void Line(StringBuilder csv, IEnumerable<string> cells)
    {
        csv.AppendJoin(',', cells);
        csv.Append("\r\n");
    }

    /// <summary>User text: defused if a spreadsheet would take it for a formula, quoted if it needs to be.</summary>
    internal static string Text(string value)
    {
        // A cell starting with = + - @ is a formula to Excel; names are user text, so defuse it. Text
        // stored before input was checked may also start with a control or bidi character, or a
        // zero-width one hiding a formula behind it: the same quote keeps Excel from reading it.
        if (value.Length > 0 && ("=+-@\t\r\n".Contains(value[0]) || Problems.Check.IsForbidden(value[0])
            || CharUnicodeInfo.GetUnicodeCategory(value[0]) == UnicodeCategory.Format))
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
