using Microsoft.Extensions.Caching.Memory;

namespace LiveExchange.Hub.Access;

/// <summary>Whom a viewer's token names: set when the participant is made, never changed after.</summary>
public sealed record ViewerIdentity(long SessionId, long ParticipantId);

/// <summary>
/// The viewer tokens this instance minted or looked up in the last <see cref="KeepFor"/>. A browser
/// joining calls <c>POST /api/join</c>, negotiates and opens its WebSocket within a second, and each of
/// those authenticates: from this copy the last two need no database round trip (a third of a join's
/// round trips, and in a join storm the hub's CPU goes mostly to round trips). Only viewer tokens are
/// kept: a viewer token always names the same participant of the same session (no statement changes a
/// participant's token, role or session), so a copy cannot go stale. Whether that viewer may still
/// connect or act (removed, session ended) is not part of it: the connect's attendance open and every
/// hub call check that in the database. The database stays the source: another instance, or this one
/// after <see cref="KeepFor"/>, reads it there.
/// </summary>
public sealed class ViewerTokens
{
    public static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(1);

    /// <summary>At most this many copies (about 200 bytes each); past it, tokens are read from the database.</summary>
    public const int MaxEntries = 20_000;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxEntries });

    public void Remember(string token, ViewerIdentity viewer) =>
        _cache.Set(token, viewer, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = KeepFor });

    public bool TryGet(string token, out ViewerIdentity viewer)
    {
        if (_cache.TryGetValue(token, out ViewerIdentity? found))
        {
            viewer = found!;
            return true;
        }

        viewer = null!;
        return false;
    }
}
