using System.Collections.Concurrent;
using StackExchange.Redis;

namespace LiveExchange.Hub.Operations;

/// <summary>
/// Logs the shared multiplexer losing Redis (a warning: events stop reaching other instances' clients)
/// and getting it back (information). The multiplexer raises ConnectionFailed on every failed reconnect
/// attempt too, so only the first failure of each connection (interactive, subscription) is a warning.
/// </summary>
internal sealed class RedisConnectionLog(IConnectionMultiplexer redis, ILogger<RedisConnectionLog> logger) : IHostedService
{
    private readonly ConcurrentDictionary<ConnectionType, byte> _down = new();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnFailed;
        redis.ConnectionRestored += OnRestored;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnFailed;
        redis.ConnectionRestored -= OnRestored;
        return Task.CompletedTask;
    }

    private void OnFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (_down.TryAdd(e.ConnectionType, 0))
        {
            logger.LogWarning("Lost the Redis {ConnectionType} connection to {EndPoint} ({FailureType}): events reach this instance's clients only until it is back.",
                e.ConnectionType, e.EndPoint, e.FailureType);
        }
        else
        {
            logger.LogDebug("Redis {ConnectionType} connection to {EndPoint} still failing ({FailureType}).", e.ConnectionType, e.EndPoint, e.FailureType);
        }
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (_down.TryRemove(e.ConnectionType, out _))
        {
            logger.LogInformation("Redis {ConnectionType} connection to {EndPoint} is back.", e.ConnectionType, e.EndPoint);
        }
    }
}
