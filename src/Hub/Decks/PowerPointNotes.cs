using System.Text;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Presentation;
using A = DocumentFormat.OpenXml.Drawing;

namespace LiveExchange.Hub.Decks;

/// <summary>
/// The speaker notes of a .pptx, by PDF page: slides in the presentation's order, hidden slides left
/// out as LibreOffice's PDF export leaves them out, so note N belongs to page N. Only the notes' body
/// placeholder is read (not the slide image or the page number a notes page also carries).
/// </summary>
internal static class PowerPointNotes
{
    /// <summary>Notes longer than this are cut here already; the notes feature cuts again at its own limit.</summary>
    private const int KeptChars = 20_000;

    /// <summary>Page (1-based) → note text, pages without a note left out. A file the SDK cannot read has no notes.</summary>
    public static IReadOnlyDictionary<int, string> Read(byte[] pptx)
    {
        var notes = new Dictionary<int, string>();
        try
        {
            using var document = PresentationDocument.Open(new MemoryStream(pptx, writable: false), isEditable: false);
            var presentation = document.PresentationPart;
            var slideIds = presentation?.Presentation?.SlideIdList?.Elements<SlideId>() ?? [];
            var page = 0;
            foreach (var slideId in slideIds)
            {
                if (slideId.RelationshipId?.Value is not { } relationship
                    || presentation!.GetPartById(relationship) is not SlidePart slide)
                {
                    continue;
                }

                if (slide.Slide?.Show?.Value == false)
                {
                    continue;
                }

                page++;
                var text = NoteText(slide.NotesSlidePart);
                if (text.Length > 0)
                {
                    notes[page] = text.Length > KeptChars ? text[..KeptChars] : text;
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // Any reading failure, not a list of them: a damaged part can surface as InvalidDataException,
            // UriFormatException, NotSupportedException… and a deck LibreOffice could draw must not become a 500.
            // LibreOffice made a PDF of it: the deck is worth showing even where its notes cannot be read.
            return new Dictionary<int, string>();
        }

        return notes;
    }

    private static string NoteText(NotesSlidePart? part)
    {
        var tree = part?.NotesSlide?.CommonSlideData?.ShapeTree;
        if (tree is null)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (var shape in tree.Elements<Shape>())
        {
            var placeholder = shape.NonVisualShapeProperties?.ApplicationNonVisualDrawingProperties?.PlaceholderShape;
            if (placeholder?.Type?.Value != PlaceholderValues.Body || shape.TextBody is null)
            {
                continue;
            }

            foreach (var paragraph in shape.TextBody.Elements<A.Paragraph>())
            {
                if (text.Length > 0)
                {
                    text.Append('\n');
                }

                foreach (var run in paragraph.Elements())
                {
                    switch (run)
                    {
                        case A.Run r:
                            text.Append(r.Text?.Text);
                            break;
                        case A.Break:
                            text.Append('\n');
                            break;
                        case A.Field f:
                            text.Append(f.Text?.Text);
                            break;
                    }
                }

                if (text.Length > KeptChars)
                {
                    return text.ToString();
                }
            }
        }

        return text.ToString().Trim();
    }
}
