using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Hub.Live;

/// <summary>
/// Who an event is for: everyone in a session, its hosts, or one participant (all its connections,
/// on whichever instances they are: the backplane carries user and group sends alike).
/// </summary>
public readonly record struct Audience(string? Group, string? User)
{
    public static Audience Session(long sessionId) => new($"session:{sessionId}", null);

    public static Audience Hosts(long sessionId) => new($"session:{sessionId}:hosts", null);

    /// <summary>Who runs the Q&A: the hosts and the moderator link's screens.</summary>
    public static Audience Moderators(long sessionId) => new($"session:{sessionId}:moderators", null);

    public static Audience Participant(long participantId) => new(null, ParticipantUserIds.Of(participantId));
}

/// <summary>
/// The one way a feature changes state that clients keep in sync: open a transaction, bump the
/// stream's version (which locks the stream's row, so changes to one stream are numbered in order
/// across instances), run the feature's SQL, commit, then hand the event to the audience.
/// <para>
/// The event is handed over, not delivered: every connection has its own outbox
/// (<see cref="ConnectionOutbox"/>), so this returns once the event is queued locally and published to
/// the backplane, whatever any one viewer's network does. If the hand-over fails (Redis away), the
/// change still succeeded: clients catch up through the gap on their next event, or on reconnect.
/// Reporting an error would make the caller retry and store the change twice.
/// </para>
/// </summary>
public sealed class LiveChanges(Database database, IHubContext<ExchangeHub, IExchangeClient> hub, ILogger<LiveChanges> logger)
{
    private const string Bump = """
        insert into stream_versions (session_id, stream, version) values (@sessionId, @stream, 1)
        on conflict (session_id, stream) do update set version = stream_versions.version + 1
        returning version
        """;

    private const string Current = "select version from stream_versions where session_id = @sessionId and stream = @stream";

    /// <summary>Runs <paramref name="change"/> under a new version of <paramref name="stream"/>, commits, then publishes its result.</summary>
    public async Task<T> CommitAsync<T>(
        long sessionId,
        string stream,
        Func<DbConnection, DbTransaction, long, Task<T>> change,
        Func<IExchangeClient, T, Task>? publish,
        Audience? audience = null,
        CancellationToken ct = default)
    {
        T result;
        long version;
        await using (var connection = await database.OpenAsync(ct))
        {
            await using var tx = await database.BeginWriteAsync(connection, ct);
            version = await connection.QuerySingleAsync<long>(Bump, new { sessionId, stream }, tx);
            result = await change(connection, tx, version);
            await tx.CommitAsync(ct);
        }

        if (publish is not null)
        {
            if (OrderedStreams.Contains(stream))
            {
                // Each instance hands its screens this stream's events in version order (LocalFirstLifetimeManager).
                DeliveryOrder.Current = (stream, version);
            }

            try
            {
                await PublishAsync(audience ?? Audience.Session(sessionId), client => publish(client, result));
            }
            finally
            {
                // Nothing started from here (a timer, a background loop) may carry this event's order.
                DeliveryOrder.Current = null;
            }
        }

        return result;
    }

    /// <summary>
    /// Streams whose every version is published, here, to one group: an instance can hold an event that
    /// skips a version until the missing one arrives. (A stream some of whose versions go elsewhere, or
    /// nowhere, would make every next event wait for one that never comes; those rely on the clients'
    /// own version checks alone, as all streams did before.)
    /// </summary>
    /// <remarks>
    /// The moderation stream is one: its every version goes to the moderators' group, and since it carries one
    /// question per change (not the whole queue) an event overtaken by a later one would cost the moderator a
    /// reload of the whole queue.
    /// </remarks>
    public static readonly IReadOnlySet<string> OrderedStreams = new HashSet<string>(StringComparer.Ordinal)
    {
        LiveStreams.Slides, PresentingStreams.Notes, ModerationStreams.Moderation,
    };

    /// <summary>How long a caller waits for the backplane to take an event before going on without it.</summary>
    public static readonly TimeSpan HandOverWait = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Sends an event; failures are logged, not thrown. With Redis away the backplane queues a publish
    /// until its own timeout (seconds): the caller, whose change is already stored, waits at most
    /// <see cref="HandOverWait"/> and the hand-over finishes (or fails, logged) on its own. Clients that
    /// missed it catch up: on their next event's gap, and when Redis returns (<see cref="BackplaneResync"/>).
    /// </summary>
    public async Task PublishAsync(Audience audience, Func<IExchangeClient, Task> send)
    {
        var handOver = SendLoggedAsync(audience, send);
        await Task.WhenAny(handOver, Task.Delay(HandOverWait));
    }

    private async Task SendLoggedAsync(Audience audience, Func<IExchangeClient, Task> send)
    {
        try
        {
            await send(To(audience));
        }
        catch (Exception e)
        {
            logger.LogWarning("An event could not be handed to the backplane ({Reason}); clients resync when it is back.", e.Message);
        }
    }

    public IExchangeClient To(Audience audience) =>
        audience.User is { } user ? hub.Clients.User(user) : hub.Clients.Group(audience.Group!);

    /// <summary>Bumps a second stream inside a change that touches two (bringing a hand on stage).</summary>
    public static Task<long> BumpAsync(DbConnection connection, DbTransaction tx, long sessionId, string stream) =>
        connection.QuerySingleAsync<long>(Bump, new { sessionId, stream }, tx);

    /// <summary>A stream's version as seen inside <paramref name="tx"/> (0 before its first change).</summary>
    public static async Task<long> VersionAsync(DbConnection connection, DbTransaction tx, long sessionId, string stream) =>
        await connection.QuerySingleOrDefaultAsync<long?>(Current, new { sessionId, stream }, tx) ?? 0;
}

/// <summary>
/// SignalR's user id for a connection, so <c>Clients.User</c> reaches one participant on every instance.
/// Viewers carry their participant id in the token's claims; a host is its session's host participant,
/// whose id is only known after its first connect, so hosts are addressed as a group instead.
/// </summary>
internal sealed class ParticipantUserIds : IUserIdProvider
{
    public static string Of(long participantId) => $"p:{participantId}";

    public string? GetUserId(HubConnectionContext connection) =>
        connection.User.ParticipantId() is { } id ? Of(id) : null;
}
