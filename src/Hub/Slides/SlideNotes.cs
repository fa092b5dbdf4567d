using System.Data.Common;
using System.Text;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Slides;

/// <summary>
/// Speaker notes per deck page (table slide_notes, migration 0012). Two writers: the host types a note
/// (source 'typed'), and the conversion of a PowerPoint deck brings the file's own notes (source 'deck').
/// Only the host and its presenter view ever read them: notes are what the presenter says, not what
/// the audience reads. They are their own stream (hosts only), so a note typed in the host page shows in
/// the presenter view on whichever instance it is connected to.
/// </summary>
public sealed class SlideNotes(Database database, LiveChanges changes, TimeProvider clock)
{
    /// <summary>A page's note: a few minutes of talk fit; a pasted chapter does not.</summary>
    public const int MaxChars = 5_000;

    private const string SelectPageCount = "select page_count from decks where id = @deckId";

    private const string SelectSessionDeck = "select page_count from decks where id = @deckId and session_id = @sessionId";

    private const string SelectCurrentDeck = "select deck_id from sessions where id = @sessionId";

    private const string SelectNotes = """
        select deck_id as DeckId, page as Page, text as Text, source as Source, updated_at_ms as UpdatedAtMs
        from slide_notes where deck_id = @deckId order by page
        """;

    // Typing over the file's note replaces it (and its source): the host has said it in their own words.
    private const string UpsertTypedNote = """
        insert into slide_notes (deck_id, page, text, source, updated_at_ms)
        values (@deckId, @page, @text, 'typed', @now)
        on conflict (deck_id, page) do update set text = excluded.text, source = 'typed', updated_at_ms = excluded.updated_at_ms
        """;

    private const string DeleteNote = "delete from slide_notes where deck_id = @deckId and page = @page";

    private const string DeleteDeckNotes = "delete from slide_notes where deck_id = @deckId and source = 'deck'";

    // A typed note outranks one taken from the file: the file's note never overwrites it.
    private const string InsertDeckNote = """
        insert into slide_notes (deck_id, page, text, source, updated_at_ms)
        values (@deckId, @page, @text, 'deck', @now)
        on conflict (deck_id, page) do nothing
        """;

    /// <summary>The current deck's notes, read with the notes stream's version in one consistent read.</summary>
    public async Task<SlideNotesState> LoadAsync(ExchangeCaller host, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginConsistentReadAsync(connection, ct);
        var version = await LiveChanges.VersionAsync(connection, tx, host.SessionId, PresentingStreams.Notes);
        var deckId = await connection.QuerySingleOrDefaultAsync<long?>(SelectCurrentDeck, new { sessionId = host.SessionId }, tx);
        SlideNote[] notes = deckId is { } id
            ? (await connection.QueryAsync<NoteRow>(SelectNotes, new { deckId = id }, tx)).Select(n => n.ToNote()).ToArray()
            : [];
        await tx.CommitAsync(ct);
        return new SlideNotesState(version, deckId, notes, MaxChars);
    }

    /// <summary>
    /// The host types (or clears, with empty text) one page's note of one of its session's decks. Every
    /// host screen (the host page, presenter views, on any instance) gets it; nobody else does.
    /// </summary>
    public Task<SlideNoteChanged> SetTypedAsync(ExchangeCaller host, long deckId, int page, string? text)
    {
        var clean = Check.Text(text, "note", MaxChars, minLength: 0, code: "note_too_long", multiline: true);
        if (!Check.HasVisible(clean))
        {
            clean = "";
        }

        return changes.CommitAsync(host.SessionId, PresentingStreams.Notes, async (connection, tx, version) =>
        {
            // Rolled back on refusal: no version is spent.
            var pageCount = await connection.QuerySingleOrDefaultAsync<long?>(SelectSessionDeck, new { deckId, sessionId = host.SessionId }, tx)
                ?? throw ExchangeProblem.NotFound("deck_not_found", "No such deck.");
            if (page < 1 || page > pageCount)
            {
                throw ExchangeProblem.BadRequest("page_out_of_range", $"The deck has pages 1 to {pageCount}.");
            }

            var now = clock.GetUtcNow();
            if (clean.Length == 0)
            {
                await connection.ExecuteAsync(DeleteNote, new { deckId, page = (long)page }, tx);
            }
            else
            {
                await connection.ExecuteAsync(UpsertTypedNote, new { deckId, page = (long)page, text = clean, now = now.ToUnixTimeMilliseconds() }, tx);
            }

            return new SlideNoteChanged(version, new SlideNote(deckId, page, clean, SlideNoteSources.Typed, now));
        }, (clients, change) => clients.SlideNoteChanged(change), Audience.Hosts(host.SessionId));
    }

    /// <summary>
    /// Replaces the notes taken from a deck's file with <paramref name="notes"/> (page, 1-based → text),
    /// inside the caller's transaction (the conversion stores the deck and its notes together).
    /// Empty notes and pages outside the deck are skipped; text is cleaned rather than refused (the host
    /// did not type it, and a conversion must not fail over a stray control character in a note) and cut
    /// at <see cref="MaxChars"/>. Typed notes on the same pages stay. No event: the deck is new, and the
    /// DeckChanged that shows it makes every host screen read the notes again.
    /// </summary>
    public async Task ReplaceFromDeckAsync(DbConnection connection, DbTransaction tx, long deckId, IReadOnlyDictionary<int, string> notes)
    {
        var pageCount = await connection.QuerySingleOrDefaultAsync<long?>(SelectPageCount, new { deckId }, tx)
            ?? throw ExchangeProblem.NotFound("deck_not_found", "No such deck.");
        await connection.ExecuteAsync(DeleteDeckNotes, new { deckId }, tx);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var (page, raw) in notes.OrderBy(n => n.Key))
        {
            if (page < 1 || page > pageCount)
            {
                continue;
            }

            var text = CleanFromFile(raw);
            if (text.Length == 0)
            {
                continue;
            }

            await connection.ExecuteAsync(InsertDeckNote, new { deckId, page = (long)page, text, now }, tx);
        }
    }

    /// <summary>Text from a file: what is not text dropped, then normalised like typed text, cut at the limit.</summary>
    internal static string CleanFromFile(string? raw)
    {
        var s = raw ?? "";
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                continue; // A lone half of a pair.
            }
            else if (c is '\n' or '\r' or '\t' or '\v')
            {
                sb.Append(c == '\v' ? '\n' : c); // PowerPoint writes a line break inside a paragraph as \v.
            }
            else if (!Check.IsForbidden(c))
            {
                sb.Append(c);
            }
        }

        var text = Check.Normalise(sb.ToString(), "note", multiline: true);
        if (!Check.HasVisible(text))
        {
            return "";
        }

        if (text.Length > MaxChars)
        {
            text = text[..MaxChars];
            if (char.IsHighSurrogate(text[^1]))
            {
                text = text[..^1];
            }
        }

        return text;
    }
}

/// <summary>A class with setters (see QuestionRow): Dapper and SQLite's column types.</summary>
internal sealed class NoteRow
{
    public long DeckId { get; init; }

    public long Page { get; init; }

    public string Text { get; init; } = "";

    public string Source { get; init; } = SlideNoteSources.Typed;

    public long UpdatedAtMs { get; init; }

    public SlideNote ToNote() => new(DeckId, (int)Page, Text, Source, DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAtMs));
}

public static class SlideNotesExtensions
{
    /// <summary>Presenting: speaker notes, and the deck download the host may offer viewers.</summary>
    public static WebApplicationBuilder AddSlideNotes(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SlideNotes>();
        builder.Services.AddSingleton<Decks.DeckDownloads>();
        return builder;
    }
}
