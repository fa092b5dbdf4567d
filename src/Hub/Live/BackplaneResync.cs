using System.Collections.Concurrent;
using Dapper;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using StackExchange.Redis;

namespace LiveExchange.Hub.Live;

/// <summary>Sessions with connections on this instance, counted by the hub on connect and disconnect.</summary>
public sealed class LocalSessions
{
    private readonly ConcurrentDictionary<long, int> _connections = new();

    public void Add(long sessionId) => _connections.AddOrUpdate(sessionId, 1, (_, n) => n + 1);

    public void Remove(long sessionId)
    {
        if (_connections.AddOrUpdate(sessionId, 0, (_, n) => n - 1) <= 0)
        {
            _connections.TryRemove(KeyValuePair.Create(sessionId, 0));
        }
    }

    public long[] Active => _connections.Where(kv => kv.Value > 0).Select(kv => kv.Key).ToArray();
}

/// <summary>
/// Redis away means events are lost, not delayed: the backplane does not replay what it could not
/// carry. Every change is in the database, so when this instance's Redis connection comes back it
/// tells each session it serves the current stream versions, and every client behind on a stream
/// reloads it. Without this a viewer would stay on a stale page until the next change happened to
/// arrive with a gap.
/// </summary>
public sealed class BackplaneResync(
    IConnectionMultiplexer redis,
    LocalSessions sessions,
    Database database,
    LiveChanges changes,
    ILogger<BackplaneResync> logger) : IHostedService
{
    private const string SelectVersions = "select stream, version from stream_versions where session_id = @sessionId";

    // Losing and regaining Redis is logged by Operations.RedisConnectionLog; this only acts on the return.
    public Task StartAsync(CancellationToken ct)
    {
        redis.ConnectionRestored += OnRestored;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken ct)
    {
        redis.ConnectionRestored -= OnRestored;
        return Task.CompletedTask;
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        // The subscription connection carries the backplane; once it is back, resync.
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            logger.LogInformation("Telling {Count} sessions' screens to catch up on what Redis did not carry.", sessions.Active.Length);
            _ = ResyncAllAsync();
        }
    }

    public async Task ResyncAllAsync()
    {
        // A moment for the subscriptions to be re-established on the restored connection.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        await ResyncAsync(sessions.Active);
    }

    /// <summary>Tells the sessions' screens (on every instance) their streams' versions; those behind reload.</summary>
    public async Task ResyncAsync(IEnumerable<long> sessionIds)
    {
        foreach (var sessionId in sessionIds)
        {
            try
            {
                await using var connection = await database.OpenAsync();
                var v = (await connection.QueryAsync<(string Stream, long Version)>(SelectVersions, new { sessionId }))
                    .ToDictionary(r => r.Stream, r => r.Version);
                var versions = new StreamVersions(sessionId,
                    v.GetValueOrDefault(LiveStreams.Slides), v.GetValueOrDefault(LiveStreams.Questions),
                    v.GetValueOrDefault(LiveStreams.Stage), v.GetValueOrDefault(LiveStreams.Hands),
                    v.GetValueOrDefault(ModerationStreams.Moderation),
                    v.GetValueOrDefault(LiveStreams.Polls));
                await changes.PublishAsync(Audience.Session(sessionId), client => client.StreamVersionsChanged(versions));
            }
            catch (Exception ex)
            {
                logger.LogWarning("Resync of session {SessionId} after the Redis outage failed: {Reason}", sessionId, ex.Message);
            }
        }
    }
}
