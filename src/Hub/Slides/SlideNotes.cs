using System.Data.Common;
using System.Text;
using Dapper;
using LiveExchange.Hub.Problems;

namespace LiveExchange.Hub.Slides;

/// <summary>
/// Speaker notes per deck page (table slide_notes, migration 0012). Two writers: the host types a note
/// (source 'typed'), and the conversion of a PowerPoint deck brings the file's own notes (source 'deck').
/// Only the host and its presenter view ever read them: notes are what the presenter says, not what
/// the audience reads.
/// </summary>
public sealed class SlideNotes(TimeProvider clock)
{
    /// <summary>A page's note: a few minutes of talk fit; a pasted chapter does not.</summary>
    public const int MaxChars = 5_000;

    public static class Sources
    {
        public const string Typed = "typed";
        public const string Deck = "deck";
    }

    private const string SelectPageCount = "select page_count from decks where id = @deckId";

    private const string DeleteDeckNotes = "delete from slide_notes where deck_id = @deckId and source = 'deck'";

    // A typed note outranks one taken from the file: the file's note never overwrites it.
    private const string InsertDeckNote = """
        insert into slide_notes (deck_id, page, text, source, updated_at_ms)
        values (@deckId, @page, @text, 'deck', @now)
        on conflict (deck_id, page) do nothing
        """;

    /// <summary>
    /// Replaces the notes taken from a deck's file with <paramref name="notes"/> (page, 1-based → text),
    /// inside the caller's transaction (the conversion stores the deck and its notes together).
    /// Empty notes and pages outside the deck are skipped; text is cleaned rather than refused (the host
    /// did not type it, and a conversion must not fail over a stray control character in a note) and cut
    /// at <see cref="MaxChars"/>. Typed notes on the same pages stay.
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

public static class SlideNotesExtensions
{
    public static WebApplicationBuilder AddSlideNotes(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SlideNotes>();
        return builder;
    }
}
