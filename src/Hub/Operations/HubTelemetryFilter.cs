using LiveExchange.Hub.Access;
using LiveExchange.Hub.Live;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Hub.Operations;

/// <summary>
/// The outermost hub filter. Opens a log scope with SessionId and ParticipantId around every connect,
/// call and disconnect, so each line logged inside (refusals, faults, the features' own lines) says
/// whose it was without every feature passing ids to its logger; and counts connections and calls
/// for <see cref="ExchangeMetrics"/>. Being outermost, it sees a refusal as the HubException the
/// problem filter made of it.
/// </summary>
internal sealed class HubTelemetryFilter(ExchangeMetrics metrics, ILogger<HubTelemetryFilter> logger) : IHubFilter
{
    private const string ScopeFormat = "Session {SessionId}, participant {ParticipantId}";

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        // The caller is resolved inside the hub's OnConnectedAsync; until then the token's claims say
        // as much as is known (a host's token names its session only).
        var user = context.Context.User!;
        using (logger.BeginScope(ScopeFormat, user.SessionId(), user.ParticipantId()))
        {
            await next(context);
        }

        metrics.Connected();
        using (BeginScope(context.Context))
        {
            logger.LogDebug("Connected.");
        }
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        // SignalR calls this only for connections whose OnConnectedAsync succeeded, the ones counted.
        metrics.Disconnected();
        using (BeginScope(context.Context))
        {
            if (exception is null)
            {
                logger.LogDebug("Disconnected.");
            }
            else
            {
                logger.LogInformation("Disconnected: {Reason}", exception.Message);
            }

            await next(context, exception);
        }
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        using (BeginScope(context.Context))
        {
            try
            {
                var result = await next(context);
                metrics.HubCall(context.HubMethodName, "ok");
                return result;
            }
            catch (HubException)
            {
                // The caller was told why (a refusal, or the database or video server briefly away).
                metrics.HubCall(context.HubMethodName, "refused");
                throw;
            }
            catch
            {
                metrics.HubCall(context.HubMethodName, "error");
                throw;
            }
        }
    }

    private IDisposable? BeginScope(HubCallerContext context) =>
        context.Items.TryGetValue(ExchangeHub.CallerKey, out var value) && value is ExchangeCaller caller
            ? logger.BeginScope(ScopeFormat, caller.SessionId, caller.ParticipantId)
            : null;
}
