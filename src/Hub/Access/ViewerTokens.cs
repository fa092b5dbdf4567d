using Microsoft.Extensions.Caching.Memory;

namespace LiveExchange.Hub.Access;

/// <summary>Whom a viewer's token names: set when the participant is made, never changed after.</summary>
public sealed record ViewerIdentity(long SessionId, long ParticipantId);

/// <summary>
/// Viewer tokens this instance minted or looked up, each kept until its screen's hub WebSocket takes it,
/// at most <see cref="KeepFor"/>. A browser joining calls <c>POST /api/join</c> and then opens the
/// WebSocket, and both authenticate: from this copy the second needs no database round trip (in a join
/// storm, one of a join's five). Only viewer tokens are kept: a viewer token always names the same
/// participant of the same session (no statement changes a participant's token, role or session), so a
/// copy cannot go stale. Whether that viewer may still connect or act (removed, session ended) is not
/// part of it: the connect's attendance open and every hub call check that in the database. The database
/// stays the source: another instance, or this one after the socket took the copy, reads it there.
/// </summary>
public sealed class ViewerTokens
{
    public static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(1);

    /// <summary>At most this many copies (about 200 bytes each); past it, tokens are read from the database.</summary>
    public const int MaxEntries = 20_000;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxEntries });

    public void Remember(string token, ViewerIdentity viewer) =>
        _cache.Set(token, viewer, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = KeepFor });

    /// <summary>Like <see cref="TryGet"/>, and forgets the copy.</summary>
    public bool TryTake(string token, out ViewerIdentity viewer)
    {
        if (TryGet(token, out viewer))
        {
            _cache.Remove(token);
            return true;
        }

        return false;
    }

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
