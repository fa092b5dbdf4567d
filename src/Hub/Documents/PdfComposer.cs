using SkiaSharp;

namespace LiveExchange.Hub.Documents;

/// <summary>
/// Writes simple flowing documents with Skia's PDF backend: lines of text wrapped to the page width,
/// images, new pages as they fill. Text is drawn with the CJK typeface, which Skia embeds as a subset
/// with a ToUnicode map, so the PDF's text can be searched and copied (and read back by tests).
/// </summary>
internal sealed class PdfComposer : IDisposable
{
    public const float A4Width = 595f;
    public const float A4Height = 842f;

    private readonly MemoryStream _output = new();
    private readonly SKDocument _document;
    private readonly SKTypeface _typeface;
    private readonly float _margin;
    private SKCanvas? _page;
    private float _y;

    public PdfComposer(SKTypeface typeface, string title, float margin = 56f)
    {
        _typeface = typeface;
        _margin = margin;
        _document = SKDocument.CreatePdf(_output, new SKDocumentPdfMetadata
        {
            Title = title,
            Creator = "LiveExchange",
            Producer = "LiveExchange",
            RasterDpi = 150,
            // Above 100 is lossless (Flate). The struct's default, 0, would store a QR code as a blurred JPEG.
            EncodingQuality = 101,
        });
    }

    public float ContentWidth => A4Width - 2 * _margin;

    public float Y => _y;

    public SKCanvas Canvas => _page ?? NewPage();

    public SKCanvas NewPage()
    {
        if (_page is not null)
        {
            _document.EndPage();
        }

        _page = _document.BeginPage(A4Width, A4Height);
        _y = _margin;
        return _page;
    }

    /// <summary>Text wrapped to the content width, starting on a new page when this one is full.</summary>
    public void Text(string text, float size, SKColor? colour = null, bool centred = false, float spaceAfter = 4f)
    {
        using var font = new SKFont(_typeface, size);
        using var paint = new SKPaint { Color = colour ?? SKColors.Black, IsAntialias = true };
        var lineHeight = size * 1.45f;
        foreach (var line in Wrap(text, font, ContentWidth))
        {
            if (_page is null || _y + lineHeight > A4Height - _margin)
            {
                NewPage();
            }

            _y += size;
            var x = centred ? (A4Width - font.MeasureText(line)) / 2 : _margin;
            _page!.DrawText(line, x, _y, SKTextAlign.Left, font, paint);
            _y += lineHeight - size;
        }

        _y += spaceAfter;
    }

    public void Space(float points)
    {
        _ = Canvas;
        _y += points;
    }

    /// <summary>A horizontal bar (poll results) of <paramref name="share"/> of the content width.</summary>
    public void Bar(double share, SKColor colour, float height = 8f)
    {
        if (_page is null || _y + height + 4 > A4Height - _margin)
        {
            NewPage();
        }

        using var paint = new SKPaint { Color = colour, IsAntialias = false };
        _page!.DrawRect(_margin, _y, Math.Max(1f, (float)(ContentWidth * Math.Clamp(share, 0, 1))), height, paint);
        _y += height + 6;
    }

    /// <summary>An image (a QR code) at the given place and size, pixels kept sharp.</summary>
    public void Image(byte[] encoded, float x, float y, float size)
    {
        using var image = SKImage.FromEncodedData(encoded);
        using var paint = new SKPaint { IsAntialias = false };
        Canvas.DrawImage(image, SKRect.Create(x, y, size, size), new SKSamplingOptions(SKFilterMode.Nearest), paint);
    }

    public byte[] Finish()
    {
        _ = Canvas;
        _document.EndPage();
        _page = null;
        _document.Close();
        return _output.ToArray();
    }

    public void Dispose()
    {
        _document.Dispose();
        _output.Dispose();
    }

    /// <summary>
    /// Greedy wrapping: Chinese breaks between any two characters, text with spaces at the last space
    /// that fits; explicit line ends are kept.
    /// </summary>
    internal static IEnumerable<string> Wrap(string text, SKFont font, float width)
    {
        foreach (var paragraph in text.Replace("\r\n", "\n").Split('\n'))
        {
            var rest = paragraph;
            if (rest.Length == 0)
            {
                yield return "";
                continue;
            }

            while (rest.Length > 0)
            {
                // The longest prefix that fits (at least one character), by bisection: a prefix is never
                // narrower than a shorter one. Counting down from the whole paragraph measured it once per
                // character dropped, quadratic in a long description on every record download.
                int fits = 1, tooLong = rest.Length + 1;
                while (tooLong - fits > 1)
                {
                    var mid = (fits + tooLong) / 2;
                    if (font.MeasureText(rest.AsSpan(0, mid)) > width)
                    {
                        tooLong = mid;
                    }
                    else
                    {
                        fits = mid;
                    }
                }

                if (fits < rest.Length)
                {
                    var space = rest.LastIndexOf(' ', fits - 1, fits);
                    if (space > fits / 2)
                    {
                        fits = space + 1;
                    }
                }

                yield return rest[..fits].TrimEnd();
                rest = rest[fits..].TrimStart();
            }
        }
    }
}
