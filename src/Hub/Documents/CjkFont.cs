using LiveExchange.Hub.Problems;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace LiveExchange.Hub.Documents;

public sealed class DocumentsOptions
{
    /// <summary>
    /// Documents:FontFile. The font (.ttf, .otf or .ttc) the server's PDFs are set in; it must have Chinese
    /// glyphs. Empty: the first of <see cref="CjkFont.KnownFiles"/> that exists.
    /// </summary>
    public string FontFile { get; set; } = "";
}

/// <summary>
/// The CJK font the server's PDFs embed (Skia subsets it to the glyphs a document uses). Certificates
/// carry Chinese names: without such a font they would print empty boxes, so a machine without one
/// answers 503 <c>cjk_font_missing</c> for the documents that need it and runs everything else.
/// </summary>
public sealed class CjkFont : IDisposable
{
    /// <summary>Where Debian's packages put CJK fonts; fonts-wqy-microhei first (the test command installs it).</summary>
    public static readonly string[] KnownFiles =
    [
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    ];

    public const string Package = "fonts-wqy-microhei";

    private readonly Lazy<SKTypeface?> _typeface;

    public CjkFont(IOptions<DocumentsOptions> options, ILogger<CjkFont> logger)
    {
        var configured = options.Value.FontFile;
        FilePath = configured.Length > 0 ? configured : KnownFiles.FirstOrDefault(File.Exists);
        _typeface = new Lazy<SKTypeface?>(() => Load(FilePath, logger));
        if (FilePath is null)
        {
            logger.LogWarning("No CJK font found ({Files}): certificates and learning-record PDFs answer 503 cjk_font_missing. Install {Package} or set Documents:FontFile.",
                string.Join(", ", KnownFiles), Package);
        }
    }

    public string? FilePath { get; }

    public bool Available => _typeface.Value is not null;

    /// <summary>The typeface, or 503 cjk_font_missing naming the package to install.</summary>
    public SKTypeface Require() => _typeface.Value ?? throw Missing();

    public static ExchangeProblem Missing() => ExchangeProblem.Unavailable("cjk_font_missing",
        $"No Chinese font is installed on the server, so this PDF cannot be made: install the {Package} package (or set Documents:FontFile).");

    private static SKTypeface? Load(string? path, ILogger logger)
    {
        if (path is null || !File.Exists(path))
        {
            return null;
        }

        // A collection holds several faces; Noto's puts Japanese first, so prefer the Simplified Chinese one.
        SKTypeface? first = null;
        for (var index = 0; index < 8; index++)
        {
            var face = SKTypeface.FromFile(path, index);
            if (face is null)
            {
                break;
            }

            using var probe = new SKFont(face);
            if (face.GlyphCount > 0 && probe.ContainsGlyphs("中文证书"))
            {
                if (face.FamilyName.Contains(" SC", StringComparison.Ordinal) || face.FamilyName.Contains("WenQuanYi", StringComparison.Ordinal))
                {
                    first?.Dispose();
                    return face;
                }

                if (first is null)
                {
                    first = face;
                    continue;
                }
            }

            face.Dispose();
        }

        if (first is null)
        {
            logger.LogWarning("The font {Path} has no Chinese glyphs: certificates and learning-record PDFs answer 503 cjk_font_missing.", path);
        }

        return first;
    }

    public void Dispose()
    {
        if (_typeface.IsValueCreated)
        {
            _typeface.Value?.Dispose();
        }
    }
}

public static class DocumentsExtensions
{
    public static WebApplicationBuilder AddDocuments(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DocumentsOptions>()
            .BindConfiguration("Documents")
            .Validate(o => o.FontFile.Length == 0 || File.Exists(o.FontFile),
                "Documents:FontFile names a file that does not exist (leave it empty to use an installed CJK font such as fonts-wqy-microhei).")
            .ValidateOnStart();
        builder.Services.AddSingleton<CjkFont>();
        return builder;
    }
}
