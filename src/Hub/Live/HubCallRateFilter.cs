using System.Threading.RateLimiting;
using LiveExchange.Hub.Problems;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Hub.Live;

/// <summary>
/// Every hub call costs a database transaction, so each connection gets a budget: a burst of
/// <see cref="Burst"/> calls, refilled at <see cref="PerSecond"/> a second. A host pressing the arrow key
/// quickly or a viewer voting down the list stays well inside it; a script calling in a loop does not.
/// </summary>
internal sealed class HubCallRateFilter : IHubFilter
{
    public const int Burst = 20;
    public const int PerSecond = 5;

    private const string BucketKey = "lx:call-budget";

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var bucket = (TokenBucketRateLimiter)(context.Context.Items[BucketKey] ??= new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Burst,
            TokensPerPeriod = PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        using var lease = bucket.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            throw ExchangeProblem.TooMany("rate_limited", "Too many requests; wait a moment.");
        }

        return await next(context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        try
        {
            await next(context, exception);
        }
        finally
        {
            (context.Context.Items[BucketKey] as IDisposable)?.Dispose();
        }
    }
}
