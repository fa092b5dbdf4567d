using System.Collections.Concurrent;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.Extensions.Caching.Memory;

namespace LiveExchange.Hub.Decks;

/// <summary>
/// Decks in the database, where every instance can serve them. When the host uploads, every viewer
/// asks for the new deck at the same moment: a small per-instance cache, filled once per deck however
/// many ask together, keeps that from becoming hundreds of copies of a 25 MB blob read at once.
/// A deck never changes under its id, so the cache needs no invalidation.
/// </summary>
public sealed class DeckStore(Database database, LiveChanges changes, TimeProvider clock, Slides.SlideNotes slideNotes)
{
    /// <summary>Decks per session: a host replacing its deck many times must not fill the database.</summary>
    public const int PerSession = 20;

    /// <summary>Decks kept in memory per instance (each at most Decks:MaxBytes).</summary>
    public const int Cached = 8;

    private const string CountDecks = "select count(*) from decks where session_id = @sessionId";

    private const string InsertDeck = """
        insert into decks (session_id, file_name, page_count, size_bytes, content, uploaded_at_ms)
        values (@sessionId, @fileName, @pageCount, @sizeBytes, @content, @now)
        returning id
        """;

    private const string ShowDeck = "update sessions set deck_id = @deckId, current_page = 1 where id = @sessionId";

    private const string SelectDeck = "select session_id as SessionId, content from decks where id = @deckId";

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Cached });
    private readonly ConcurrentDictionary<long, Lazy<Task<StoredDeck?>>> _loading = new();

    /// <summary>Stores a checked deck and shows it to everyone from page 1 (a change to the slides stream).</summary>
    public Task<DeckChanged> StoreAsync(long sessionId, string fileName, byte[] content, int pageCount, CancellationToken ct) =>
        StoreAsync(sessionId, fileName, content, pageCount, notes: null, ct);

    /// <summary>
    /// The same, with the speaker notes a converted file brought (page → text), stored in the same
    /// transaction: a deck is never there without its notes, nor notes without their deck.
    /// </summary>
    public Task<DeckChanged> StoreAsync(long sessionId, string fileName, byte[] content, int pageCount,
        IReadOnlyDictionary<int, string>? notes, CancellationToken ct) =>
        changes.CommitAsync(sessionId, LiveStreams.Slides, async (connection, tx, version) =>
        {
            if (await connection.ExecuteScalarAsync<long>(CountDecks, new { sessionId }, tx) >= PerSession)
            {
                throw ExchangeProblem.Conflict("deck_limit", $"A session can have at most {PerSession} decks.");
            }

            var deckId = await connection.QuerySingleAsync<long>(InsertDeck, new
            {
                sessionId,
                fileName,
                pageCount,
                sizeBytes = content.LongLength,
                content,
                now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
            }, tx);
            await connection.ExecuteAsync(ShowDeck, new { deckId, sessionId }, tx);
            if (notes is { Count: > 0 })
            {
                await slideNotes.ReplaceFromDeckAsync(connection, tx, deckId, notes);
            }

            return new DeckChanged(version, new DeckView(deckId, fileName, pageCount), 1);
        }, (clients, change) => clients.DeckChanged(change), ct: ct);

    public async Task<StoredDeck?> LoadAsync(long deckId, CancellationToken ct)
    {
        if (_cache.TryGetValue(deckId, out StoredDeck? cached))
        {
            return cached;
        }

        // One database read per deck however many ask at once; the others wait for it.
        var load = _loading.GetOrAdd(deckId, id => new Lazy<Task<StoredDeck?>>(() => ReadAsync(id)));
        try
        {
            var deck = await load.Value.WaitAsync(ct);
            if (deck is not null)
            {
                _cache.Set(deckId, deck, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) });
            }

            return deck;
        }
        finally
        {
            _loading.TryRemove(KeyValuePair.Create(deckId, load));
        }
    }

    private async Task<StoredDeck?> ReadAsync(long deckId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<StoredDeck>(SelectDeck, new { deckId });
    }
}

public sealed record StoredDeck(long SessionId, byte[] Content);
