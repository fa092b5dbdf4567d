using System.Globalization;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using X = DocumentFormat.OpenXml.Spreadsheet;

namespace LiveExchange.Hub.Exports;

/// <summary>
/// Sheets as one XLSX workbook (Open XML SDK; docs/decisions/0007). Every sheet starts with the
/// heading lines, a blank row and a bold header row that stays in view when scrolling. Text is an
/// inline string (never a formula, whatever it starts with), integers and decimals are numbers, times
/// are dates with a date format, so sums, filters and sorting work as soon as the file opens.
/// </summary>
internal static class SheetWorkbook
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    /// <summary>Excel's limit on a sheet name.</summary>
    public const int SheetNameMax = 31;

    private const uint BoldStyle = 1;
    private const uint TimeStyle = 2;
    private const uint DecimalStyle = 3;

    public static byte[] Write(string title, HeadingLine[] heading, IReadOnlyList<Sheet> sheets, ExportLanguage lang)
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            document.PackageProperties.Title = XmlSafe(title);
            var workbookPart = document.AddWorkbookPart();
            workbookPart.Workbook = new Workbook();
            workbookPart.AddNewPart<WorkbookStylesPart>().Stylesheet = Styles();
            var tabs = workbookPart.Workbook.AppendChild(new Sheets());
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            uint sheetId = 1;
            foreach (var sheet in sheets)
            {
                var part = workbookPart.AddNewPart<WorksheetPart>();
                part.Worksheet = Worksheet(heading, sheet, lang);
                tabs.Append(new X.Sheet
                {
                    Id = workbookPart.GetIdOfPart(part),
                    SheetId = sheetId++,
                    Name = UniqueName(SheetName(sheet.Spec.Name.In(lang)), names),
                });
            }

            workbookPart.Workbook.Save();
        }

        return stream.ToArray();
    }

    private static Worksheet Worksheet(HeadingLine[] heading, Sheet sheet, ExportLanguage lang)
    {
        var data = new SheetData();
        uint rowIndex = 1;
        foreach (var line in heading)
        {
            data.Append(Row(rowIndex++, [Text(line.Label.In(lang), BoldStyle), Text(line.Value)]));
        }

        rowIndex++; // a blank row between the heading and the table
        var headerRow = rowIndex;
        data.Append(Row(rowIndex++, sheet.Spec.Columns.Select(c => Text(c.Header.In(lang), BoldStyle))));
        foreach (var cells in sheet.Rows)
        {
            data.Append(Row(rowIndex++, cells.Select(ToCell)));
        }

        var view = new SheetView { WorkbookViewId = 0 };
        view.Append(new Pane
        {
            VerticalSplit = headerRow,
            TopLeftCell = $"A{headerRow + 1}",
            ActivePane = PaneValues.BottomLeft,
            State = PaneStateValues.Frozen,
        });
        var worksheet = new Worksheet(new SheetViews(view));
        if (sheet.Spec.Columns.Length > 0)
        {
            worksheet.Append(new Columns(sheet.Spec.Columns.Select((column, i) => new X.Column
            {
                Min = (uint)(i + 1),
                Max = (uint)(i + 1),
                Width = Width(column.Header.In(lang), sheet.Rows.Select(r => i < r.Length ? r[i] : Cell.Blank)),
                CustomWidth = true,
            })));
        }

        worksheet.Append(data);
        return worksheet;
    }

    private static Row Row(uint index, IEnumerable<X.Cell> cells)
    {
        var row = new Row { RowIndex = index };
        var column = 0;
        foreach (var cell in cells)
        {
            cell.CellReference = ColumnName(column++) + index.ToString(CultureInfo.InvariantCulture);
            row.Append(cell);
        }

        return row;
    }

    /// <summary>A, B, ... Z, AA, AB, ...</summary>
    internal static string ColumnName(int index)
    {
        var name = "";
        for (index++; index > 0; index = (index - 1) / 26)
        {
            name = (char)('A' + (index - 1) % 26) + name;
        }

        return name;
    }

    private static X.Cell ToCell(Cell cell) => cell switch
    {
        TextCell t => Text(t.Value),
        IntegerCell i => new X.Cell { DataType = CellValues.Number, CellValue = new CellValue(i.Value.ToString(CultureInfo.InvariantCulture)) },
        DecimalCell d => new X.Cell { DataType = CellValues.Number, CellValue = new CellValue(d.Value), StyleIndex = DecimalStyle },
        TimeCell t => new X.Cell { CellValue = new CellValue(t.Local.ToOADate()), StyleIndex = TimeStyle },
        _ => new X.Cell(),
    };

    private static X.Cell Text(string value, uint style = 0)
    {
        var cell = new X.Cell
        {
            DataType = CellValues.InlineString,
            InlineString = new InlineString(new X.Text(XmlSafe(value)) { Space = SpaceProcessingModeValues.Preserve }),
        };
        if (style != 0)
        {
            cell.StyleIndex = style;
        }

        return cell;
    }

    /// <summary>Column width in characters: the widest of header and cells, a Chinese character counting two.</summary>
    private static double Width(string header, IEnumerable<Cell> cells)
    {
        static int Display(string s) => s.Sum(c => c >= '\u1100' ? 2 : 1);
        var widest = cells.Select(c => c switch
        {
            TextCell t => Display(t.Value),
            TimeCell => 19,
            IntegerCell i => i.Value.ToString(CultureInfo.InvariantCulture).Length,
            DecimalCell d => d.Value.ToString("0.0", CultureInfo.InvariantCulture).Length,
            _ => 0,
        }).Append(Display(header)).Max();
        return Math.Clamp(widest + 2, 8, 60);
    }

    private static Stylesheet Styles()
    {
        var formats = new NumberingFormats(
            new NumberingFormat { NumberFormatId = 164, FormatCode = "yyyy-mm-dd hh:mm:ss" },
            new NumberingFormat { NumberFormatId = 165, FormatCode = "0.0" });
        var fonts = new Fonts(new Font(), new Font(new Bold()));
        var fills = new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 }));
        var borders = new Borders(new Border());
        var cellStyleFormats = new CellStyleFormats(new CellFormat());
        var cellFormats = new CellFormats(
            new CellFormat(),
            new CellFormat { FontId = 1, ApplyFont = true },
            new CellFormat { NumberFormatId = 164, ApplyNumberFormat = true },
            new CellFormat { NumberFormatId = 165, ApplyNumberFormat = true });
        return new Stylesheet(formats, fonts, fills, borders, cellStyleFormats, cellFormats);
    }

    /// <summary>
    /// A name Excel accepts for a tab: at most 31 characters, none of []:*?/\, not starting or ending
    /// with an apostrophe, not empty.
    /// </summary>
    internal static string SheetName(string name)
    {
        var cleaned = new string(name.Select(c => "[]:*?/\\".Contains(c) || char.IsControl(c) ? ' ' : c).ToArray()).Trim().Trim('\'').Trim();
        if (cleaned.Length > SheetNameMax)
        {
            cleaned = cleaned[..SheetNameMax].TrimEnd();
        }

        return cleaned.Length == 0 ? "Sheet" : cleaned;
    }

    private static string UniqueName(string name, HashSet<string> taken)
    {
        var candidate = name;
        for (var n = 2; !taken.Add(candidate); n++)
        {
            var suffix = $" ({n})";
            candidate = name[..Math.Min(name.Length, SheetNameMax - suffix.Length)] + suffix;
        }

        return candidate;
    }

    /// <summary>
    /// Characters XML cannot carry (controls, lone surrogates) become U+FFFD: text stored before input
    /// was checked must not make the file unreadable.
    /// </summary>
    internal static string XmlSafe(string value)
    {
        if (value.All(XmlConvertible))
        {
            return value;
        }

        var safe = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                safe.Append(c).Append(value[++i]);
            }
            else
            {
                safe.Append(XmlConvertible(c) && !char.IsSurrogate(c) ? c : '\uFFFD');
            }
        }

        return safe.ToString();
    }

    private static bool XmlConvertible(char c) =>
        c is '\t' or '\n' or '\r' || (c >= ' ' && c != '\uFFFE' && c != '\uFFFF' && !char.IsSurrogate(c));
}
