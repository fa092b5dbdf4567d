using System.IO.Compression;
using System.Text;
using LiveExchange.Hub.Problems;

namespace LiveExchange.Hub.Decks;

/// <summary>What an upload is: a PDF shown as it is, or an office file LibreOffice turns into one.</summary>
public enum DeckKind
{
    Pdf,
    Pptx,
    Ppt,
    Odp,
    Docx,
}

/// <summary>
/// Tells a deck's kind from its bytes (zip and OLE signatures, then what the zip or OLE file holds),
/// the name's extension only deciding between office kinds for a file too damaged to say: a .pptx
/// renamed .pdf is still converted, and a .exe renamed .pptx is still refused. Only the zip's central
/// directory (and an ODF file's tiny "mimetype" entry) is read here: nothing is inflated.
/// </summary>
internal static class DeckFormats
{
    public static readonly string[] OfficeExtensions = [".pptx", ".ppt", ".odp", ".docx"];

    private static ReadOnlySpan<byte> ZipSignature => "PK\u0003\u0004"u8;

    private static ReadOnlySpan<byte> OleSignature => [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    // The OLE directory names its streams in UTF-16; a PowerPoint 97-2003 file has this one.
    private static readonly byte[] PowerPointStream = Encoding.Unicode.GetBytes("PowerPoint Document");

    private const string OdpMimeType = "application/vnd.oasis.opendocument.presentation";

    public static string Extension(DeckKind kind) => kind switch
    {
        DeckKind.Pptx => ".pptx",
        DeckKind.Ppt => ".ppt",
        DeckKind.Odp => ".odp",
        DeckKind.Docx => ".docx",
        _ => ".pdf",
    };

    /// <summary>The upload's kind, or unsupported_deck_type. A PDF that fails later checks is still "a PDF" here.</summary>
    public static DeckKind Detect(byte[] content, string fileName, long maxExpandedBytes)
    {
        var head = Encoding.ASCII.GetString(content, 0, Math.Min(content.Length, 1024));
        if (head.Contains("%PDF-", StringComparison.Ordinal))
        {
            return DeckKind.Pdf;
        }

        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        var byName = extension switch
        {
            ".pptx" => DeckKind.Pptx,
            ".ppt" => DeckKind.Ppt,
            ".odp" => DeckKind.Odp,
            ".docx" => DeckKind.Docx,
            _ => (DeckKind?)null,
        };

        var span = content.AsSpan();
        if (span.StartsWith(ZipSignature))
        {
            var (opened, byContent) = FromZip(content, maxExpandedBytes);
            if (byContent is not null)
            {
                return byContent.Value;
            }

            // A damaged zip named as an office file: LibreOffice has the last word (conversion_failed).
            // A sound zip of something else (a spreadsheet renamed .pptx) is not a deck.
            if (!opened && byName is DeckKind.Pptx or DeckKind.Docx or DeckKind.Odp)
            {
                return byName.Value;
            }
        }
        else if (span.StartsWith(OleSignature))
        {
            if (span.IndexOf(PowerPointStream) >= 0 || byName == DeckKind.Ppt)
            {
                return DeckKind.Ppt;
            }
        }

        // Named .pdf but not one: the PDF check says so in its own words (deck_not_pdf), as before.
        if (extension == ".pdf")
        {
            return DeckKind.Pdf;
        }

        throw Unsupported();
    }

    internal static ExchangeProblem Unsupported() => new(StatusCodes.Status415UnsupportedMediaType, "unsupported_deck_type",
        "Upload the slides as PDF, PowerPoint (.pptx, .ppt), OpenDocument (.odp) or Word (.docx).");

    /// <summary>Whether the zip opens, and the office kind it holds by its entries' names (null: none of ours).</summary>
    private static (bool Opened, DeckKind? Kind) FromZip(byte[] content, long maxExpandedBytes)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(content, writable: false), ZipArchiveMode.Read);
            // What the entries say they expand to: LibreOffice and the notes reader would inflate them.
            var declared = zip.Entries.Sum(e => e.Length);
            if (declared > maxExpandedBytes)
            {
                throw ExchangeProblem.BadRequest("deck_too_complex",
                    $"This file expands to more than {maxExpandedBytes / (1024 * 1024)} MB when opened. Save it again (with smaller images) and try again.");
            }

            var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            if (names.Contains("[Content_Types].xml"))
            {
                if (names.Any(n => n.StartsWith("ppt/", StringComparison.Ordinal)))
                {
                    return (true, DeckKind.Pptx);
                }

                if (names.Any(n => n.StartsWith("word/", StringComparison.Ordinal)))
                {
                    return (true, DeckKind.Docx);
                }
            }

            if (zip.GetEntry("mimetype") is { Length: < 200 } mimetype)
            {
                using var reader = new StreamReader(mimetype.Open(), Encoding.ASCII);
                var type = reader.ReadToEnd().Trim();
                if (type == OdpMimeType)
                {
                    return (true, DeckKind.Odp);
                }
            }

            return (true, null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or NotSupportedException)
        {
            return (false, null);
        }
    }
}
