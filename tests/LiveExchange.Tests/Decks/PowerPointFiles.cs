using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Presentation;
using A = DocumentFormat.OpenXml.Drawing;
using P = DocumentFormat.OpenXml.Presentation;
using W = DocumentFormat.OpenXml.Wordprocessing;

namespace LiveExchange.Tests.Decks;

/// <summary>
/// Real .pptx files made here with the Open XML SDK, the smallest PowerPoint accepts: a theme, a
/// slide master with one layout, a notes master, and per slide a title, a body and speaker notes.
/// </summary>
public static class PowerPointFiles
{
    public sealed record Slide(string Title, string Body, string? Notes);

    public static byte[] Make(IReadOnlyList<Slide> slides)
    {
        using var stream = new MemoryStream();
        using (var document = PresentationDocument.Create(stream, PresentationDocumentType.Presentation))
        {
            var presentationPart = document.AddPresentationPart();
            presentationPart.Presentation = new Presentation();

            var masterPart = presentationPart.AddNewPart<SlideMasterPart>("rIdMaster");
            var layoutPart = masterPart.AddNewPart<SlideLayoutPart>("rIdLayout");
            layoutPart.SlideLayout = new SlideLayout(
                new CommonSlideData(EmptyTree()),
                new ColorMapOverride(new A.MasterColorMapping()))
            { Type = SlideLayoutValues.Text };
            layoutPart.AddPart(masterPart, "rIdMaster");
            var theme = masterPart.AddNewPart<ThemePart>("rIdTheme");
            theme.Theme = Theme();
            masterPart.SlideMaster = new SlideMaster(
                new CommonSlideData(EmptyTree()),
                new P.ColorMap
                {
                    Background1 = A.ColorSchemeIndexValues.Light1, Text1 = A.ColorSchemeIndexValues.Dark1,
                    Background2 = A.ColorSchemeIndexValues.Light2, Text2 = A.ColorSchemeIndexValues.Dark2,
                    Accent1 = A.ColorSchemeIndexValues.Accent1, Accent2 = A.ColorSchemeIndexValues.Accent2,
                    Accent3 = A.ColorSchemeIndexValues.Accent3, Accent4 = A.ColorSchemeIndexValues.Accent4,
                    Accent5 = A.ColorSchemeIndexValues.Accent5, Accent6 = A.ColorSchemeIndexValues.Accent6,
                    Hyperlink = A.ColorSchemeIndexValues.Hyperlink, FollowedHyperlink = A.ColorSchemeIndexValues.FollowedHyperlink,
                },
                new SlideLayoutIdList(new SlideLayoutId { Id = 2147483649U, RelationshipId = "rIdLayout" }));

            var notesMaster = presentationPart.AddNewPart<NotesMasterPart>("rIdNotesMaster");
            notesMaster.AddPart(theme, "rIdTheme");
            notesMaster.NotesMaster = new NotesMaster(
                new CommonSlideData(EmptyTree()),
                new P.ColorMap
                {
                    Background1 = A.ColorSchemeIndexValues.Light1, Text1 = A.ColorSchemeIndexValues.Dark1,
                    Background2 = A.ColorSchemeIndexValues.Light2, Text2 = A.ColorSchemeIndexValues.Dark2,
                    Accent1 = A.ColorSchemeIndexValues.Accent1, Accent2 = A.ColorSchemeIndexValues.Accent2,
                    Accent3 = A.ColorSchemeIndexValues.Accent3, Accent4 = A.ColorSchemeIndexValues.Accent4,
                    Accent5 = A.ColorSchemeIndexValues.Accent5, Accent6 = A.ColorSchemeIndexValues.Accent6,
                    Hyperlink = A.ColorSchemeIndexValues.Hyperlink, FollowedHyperlink = A.ColorSchemeIndexValues.FollowedHyperlink,
                });

            var slideIds = new SlideIdList();
            uint nextId = 256;
            var index = 0;
            foreach (var content in slides)
            {
                index++;
                var slidePart = presentationPart.AddNewPart<SlidePart>($"rIdSlide{index}");
                slidePart.Slide = new P.Slide(new CommonSlideData(Tree(
                    TextShape(2, "Title", PlaceholderValues.Title, 457200, 274638, 8229600, 1143000, 4000, content.Title),
                    TextShape(3, "Body", PlaceholderValues.Body, 457200, 1600200, 8229600, 4525963, 2800, content.Body))),
                    new ColorMapOverride(new A.MasterColorMapping()));
                slidePart.AddPart(layoutPart);
                if (content.Notes is not null)
                {
                    var notesPart = slidePart.AddNewPart<NotesSlidePart>();
                    notesPart.NotesSlide = new NotesSlide(new CommonSlideData(Tree(
                        TextShape(2, "Notes", PlaceholderValues.Body, 685800, 4343400, 5486400, 4114800, 1200, content.Notes))),
                        new ColorMapOverride(new A.MasterColorMapping()));
                    notesPart.AddPart(slidePart);
                    notesPart.AddPart(notesMaster);
                }

                slideIds.Append(new SlideId { Id = nextId++, RelationshipId = $"rIdSlide{index}" });
            }

            presentationPart.Presentation.Append(
                new SlideMasterIdList(new SlideMasterId { Id = 2147483648U, RelationshipId = "rIdMaster" }),
                new NotesMasterIdList(new NotesMasterId { Id = "rIdNotesMaster" }),
                slideIds,
                new SlideSize { Cx = 9144000, Cy = 6858000, Type = SlideSizeValues.Screen4x3 },
                new NotesSize { Cx = 6858000, Cy = 9144000 },
                new DefaultTextStyle());
        }

        return stream.ToArray();
    }

    /// <summary>A Word document: a heading, then a page break and a second page.</summary>
    public static byte[] MakeWordDocument(string firstPage, string secondPage)
    {
        using var stream = new MemoryStream();
        using (var document = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            main.Document = new W.Document(new W.Body(
                new W.Paragraph(new W.Run(new W.Text(firstPage))),
                new W.Paragraph(new W.Run(new W.Break { Type = W.BreakValues.Page })),
                new W.Paragraph(new W.Run(new W.Text(secondPage)))));
        }

        return stream.ToArray();
    }

    /// <summary>The file in another format, by the real LibreOffice (how the test gets a .ppt and an .odp).</summary>
    public static async Task<byte[]> ConvertWithLibreOfficeAsync(byte[] pptx, string format)
    {
        var dir = Directory.CreateTempSubdirectory("lx-test-convert-");
        try
        {
            var input = Path.Combine(dir.FullName, "deck.pptx");
            await File.WriteAllBytesAsync(input, pptx);
            var start = new System.Diagnostics.ProcessStartInfo("soffice") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { $"-env:UserInstallation={new Uri(dir.FullName + "/profile/").AbsoluteUri}", "--headless", "--convert-to", format, "--outdir", dir.FullName, input })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = System.Diagnostics.Process.Start(start)!;
            var said = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            var output = Path.Combine(dir.FullName, "deck." + format);
            Assert.True(File.Exists(output), $"soffice made no .{format}: {await said} {await errors}");
            return await File.ReadAllBytesAsync(output);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static ShapeTree EmptyTree() => Tree();

    private static ShapeTree Tree(params P.Shape[] shapes)
    {
        var tree = new ShapeTree(GroupProperties());
        tree.Append(shapes);
        return tree;
    }

    private static OpenXmlElement[] GroupProperties() =>
    [
        new P.NonVisualGroupShapeProperties(
            new P.NonVisualDrawingProperties { Id = 1U, Name = "" },
            new P.NonVisualGroupShapeDrawingProperties(),
            new ApplicationNonVisualDrawingProperties()),
        new GroupShapeProperties(new A.TransformGroup()),
    ];

    private static P.Shape TextShape(uint id, string name, PlaceholderValues type, long x, long y, long cx, long cy, int size, string text)
    {
        var body = new P.TextBody(new A.BodyProperties(), new A.ListStyle());
        foreach (var line in text.Split('\n'))
        {
            // A Chinese run needs its East Asian font named, or LibreOffice may pick a face without the glyphs.
            body.Append(new A.Paragraph(new A.Run(
                new A.RunProperties(new A.LatinFont { Typeface = "WenQuanYi Micro Hei" }, new A.EastAsianFont { Typeface = "WenQuanYi Micro Hei" })
                { Language = "zh-CN", FontSize = size },
                new A.Text(line))));
        }

        return new P.Shape(
            new P.NonVisualShapeProperties(
                new P.NonVisualDrawingProperties { Id = id, Name = name },
                new P.NonVisualShapeDrawingProperties(new A.ShapeLocks { NoGrouping = true }),
                new ApplicationNonVisualDrawingProperties(new PlaceholderShape { Type = type, Index = type == PlaceholderValues.Title ? null : (UInt32Value)1U })),
            new P.ShapeProperties(new A.Transform2D(new A.Offset { X = x, Y = y }, new A.Extents { Cx = cx, Cy = cy })),
            body);
    }

    private static A.Theme Theme() => new(
        new A.ThemeElements(
            new A.ColorScheme(
                new A.Dark1Color(new A.SystemColor { Val = A.SystemColorValues.WindowText, LastColor = "000000" }),
                new A.Light1Color(new A.SystemColor { Val = A.SystemColorValues.Window, LastColor = "FFFFFF" }),
                new A.Dark2Color(new A.RgbColorModelHex { Val = "1F497D" }),
                new A.Light2Color(new A.RgbColorModelHex { Val = "EEECE1" }),
                new A.Accent1Color(new A.RgbColorModelHex { Val = "4F81BD" }),
                new A.Accent2Color(new A.RgbColorModelHex { Val = "C0504D" }),
                new A.Accent3Color(new A.RgbColorModelHex { Val = "9BBB59" }),
                new A.Accent4Color(new A.RgbColorModelHex { Val = "8064A2" }),
                new A.Accent5Color(new A.RgbColorModelHex { Val = "4BACC6" }),
                new A.Accent6Color(new A.RgbColorModelHex { Val = "F79646" }),
                new A.Hyperlink(new A.RgbColorModelHex { Val = "0000FF" }),
                new A.FollowedHyperlinkColor(new A.RgbColorModelHex { Val = "800080" }))
            { Name = "Office" },
            new A.FontScheme(
                new A.MajorFont(new A.LatinFont { Typeface = "Calibri" }, new A.EastAsianFont { Typeface = "" }, new A.ComplexScriptFont { Typeface = "" }),
                new A.MinorFont(new A.LatinFont { Typeface = "Calibri" }, new A.EastAsianFont { Typeface = "" }, new A.ComplexScriptFont { Typeface = "" }))
            { Name = "Office" },
            new A.FormatScheme(
                new A.FillStyleList(
                    new A.SolidFill(new A.SchemeColor { Val = A.SchemeColorValues.PhColor }),
                    new A.SolidFill(new A.SchemeColor { Val = A.SchemeColorValues.PhColor }),
                    new A.SolidFill(new A.SchemeColor { Val = A.SchemeColorValues.PhColor })),
                new A.LineStyleList(
                    new A.Outline(new A.SolidFill(new A.SchemeColor { Val = A.SchemeColorValues.PhColor })) { Width = 9525 },
                    new A.Outline(new A.SolidFill(new A.SchemeColor { Val = A.SchemeColorValues.PhColor })) { Width = 25400 },
                    new A.Outline(new A.SolidFill(new A.SchemeColor { Val = A.SchemeColorValues.PhColor })) { Width = 38100 }),
                new A.EffectStyleList(
                    new A.EffectStyle(new A.EffectList()),
                    new A.EffectStyle(new A.EffectList()),
                    new A.EffectStyle(new A.EffectList())),
                new A.BackgroundFillStyleList(
                    new A.SolidFill(new A.SchemeColor { Val = A.SchemeColorValues.PhColor }),
                    new A.SolidFill(new A.SchemeColor { Val = A.SchemeColorValues.PhColor }),
                    new A.SolidFill(new A.SchemeColor { Val = A.SchemeColorValues.PhColor })))
            { Name = "Office" }),
        new A.ObjectDefaults(),
        new A.ExtraColorSchemeList())
    { Name = "Office Theme" };
}
