namespace LiveExchange.Shared;

// Presenting: speaker notes for the host and its presenter view, and the host's "viewers may download
// the deck" setting. Notes are their own stream with the hosts as audience (viewers and moderators
// never receive them); the download setting is part of the slides stream, which every screen keeps.

/// <summary>Names of the presenting streams (beside <see cref="LiveStreams"/>).</summary>
public static class PresentingStreams
{
    /// <summary>Speaker notes; hosts only.</summary>
    public const string Notes = "notes";
}

public static class SlideNoteSources
{
    /// <summary>Typed in the host page or the presenter view.</summary>
    public const string Typed = "typed";

    /// <summary>Taken from the uploaded file (a PowerPoint deck's notes) when it was converted.</summary>
    public const string Deck = "deck";
}

/// <summary>One page's note.</summary>
public sealed record SlideNote(long DeckId, int Page, string Text, string Source, DateTimeOffset UpdatedAt);

/// <summary>The notes of the session's current deck (empty without a deck), at the notes stream's version.</summary>
public sealed record SlideNotesState(long Version, long? DeckId, IReadOnlyList<SlideNote> Notes, int MaxChars);

/// <summary>
/// Hosts; notes stream: one page's note was typed, changed or cleared (<c>Note</c> with empty text and
/// the page: a cleared note, or the file's note that shows again).
/// </summary>
public sealed record SlideNoteChanged(long Version, SlideNote Note);

/// <summary>Session; slides stream: the host allowed or stopped the deck's download for viewers.</summary>
public sealed record DeckDownloadChanged(long Version, bool Downloadable);
