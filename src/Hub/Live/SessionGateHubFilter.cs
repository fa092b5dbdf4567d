using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Hub.Live;

/// <summary>
/// Every hub call is refused once its session has ended or its caller was removed, and the connection
/// is then closed: the official page stops when told (SessionEnded), but a client that ignores the
/// event must not keep a connection, or act, in a session that is over.
/// </summary>
internal sealed class SessionGateHubFilter(SessionGate gate) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (context.Context.Items[ExchangeHub.CallerKey] is ExchangeCaller caller)
        {
            try
            {
                await gate.RequireActiveAsync(caller.ParticipantId, context.Context.ConnectionAborted);
            }
            catch (ExchangeProblem)
            {
                // Closed after the refusal is on its way, so the caller still hears why.
                _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ => context.Context.Abort(), TaskScheduler.Default);
                throw;
            }
        }

        return await next(context);
    }
}
