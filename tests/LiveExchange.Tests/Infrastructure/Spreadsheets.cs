using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace LiveExchange.Tests.Infrastructure;

/// <summary>Reads an exported workbook back as a spreadsheet program would: sheets by name, rows of cell texts.</summary>
public static class Spreadsheets
{
    public static SpreadsheetDocument Open(byte[] bytes) => SpreadsheetDocument.Open(new MemoryStream(bytes), false);

    public static WorksheetPart Part(SpreadsheetDocument book, string sheetName)
    {
        var sheet = book.WorkbookPart!.Workbook.Sheets!.Elements<Sheet>().Single(s => s.Name == sheetName);
        return (WorksheetPart)book.WorkbookPart.GetPartById(sheet.Id!);
    }

    /// <summary>Each row's cells as text (inline strings as written, numbers as stored), in order.</summary>
    public static string[][] Rows(SpreadsheetDocument book, string sheetName) =>
        Part(book, sheetName).Worksheet.GetFirstChild<SheetData>()!.Elements<Row>()
            .Select(r => r.Elements<Cell>().Select(c => c.DataType?.Value == CellValues.InlineString ? c.InlineString!.InnerText : c.CellValue?.Text ?? "").ToArray())
            .ToArray();

    /// <summary>True when any cell of the sheet holds a formula.</summary>
    public static bool HasFormula(SpreadsheetDocument book, string sheetName) =>
        Part(book, sheetName).Worksheet.Descendants<Cell>().Any(c => c.CellFormula is not null);
}
