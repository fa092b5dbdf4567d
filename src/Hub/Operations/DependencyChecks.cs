using Dapper;
using LiveExchange.Hub.Storage;
using LiveExchange.Hub.Video;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace LiveExchange.Hub.Operations;

// The checks behind /health/ready. Each answers with a fixed, short description: the endpoint is
// anonymous, so no exception text (which may name hosts, users or databases) goes into the body; the
// exception is attached to the result for the health check service's own log line instead. Each runs
// under the registration's timeout (OperationsExtensions.CheckTimeout), after which it counts as failed.

/// <summary>The database answers a query: without it nothing works, so a failure is Unhealthy.</summary>
internal sealed class DatabaseHealthCheck(Database database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(ct);
            await connection.ExecuteScalarAsync<long>(new CommandDefinition("select 1", cancellationToken: ct));
            return HealthCheckResult.Healthy($"{database.Dialect} answered");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{database.Dialect} did not answer", e);
        }
    }
}

/// <summary>
/// Redis answers a ping. Without Redis this instance still serves its own clients (state is in the
/// database, and SignalR's backplane only carries events between instances), so the registration
/// reports a failure as Degraded: /health/ready stays 200 and says so, rather than a load balancer
/// taking every instance out at once when the one Redis they share goes away.
/// </summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        if (!redis.IsConnected)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "not connected: events reach this instance's clients only");
        }

        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(ct);
            return HealthCheckResult.Healthy("answered");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "did not answer: events reach this instance's clients only", e);
        }
    }
}

/// <summary>
/// This instance has a session with Janus (<see cref="JanusGateway.Available"/>, kept by its poll loop,
/// which notices a lost Janus and makes a new session when it is back). Video is an addition: slides and
/// questions go on without it, so a failure is Degraded.
/// </summary>
internal sealed class JanusHealthCheck(JanusGateway janus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default) =>
        Task.FromResult(janus.Available
            ? HealthCheckResult.Healthy("session open")
            : new HealthCheckResult(context.Registration.FailureStatus, "no session with the video server: video is off"));
}
