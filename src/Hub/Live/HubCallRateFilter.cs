using System.Reflection;
using LiveExchange.Hub.Problems;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Caching.Memory;

namespace LiveExchange.Hub.Live;

/// <summary>
/// Marks a hub method as signalling: it answers the caller only and writes nothing to the database
/// (SDP, ICE candidates, reception reports), so it is counted in a lane of its own. A browser setting
/// up video sends bursts of candidates that must not eat the budget protecting database writes.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SignallingAttribute : Attribute;

/// <summary>
/// Gives a hub method a budget of its own, counted apart from both lanes: a call that is cheap and
/// tempting to repeat (a reaction button) must neither eat the budget protecting database writes nor be
/// starved by it. Beyond it, calls are refused as <c>rate_limited</c> like any other.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OwnBudgetAttribute(int burst, int perSecond) : Attribute
{
    public int Burst { get; } = burst;

    public int PerSecond { get; } = perSecond;
}

/// <summary>
/// Every hub call is counted against the connection's budget for its lane. State changes cost a
/// database transaction: a burst of <see cref="Burst"/>, refilled at <see cref="PerSecond"/> a second,
/// which a host pressing the arrow key quickly or a viewer voting down the list stays well inside.
/// Signalling gets <see cref="SignallingBurst"/> and <see cref="SignallingPerSecond"/>; a method marked
/// <see cref="OwnBudgetAttribute"/> gets a lane of its own with the budget it names.
/// The buckets refill when asked, from the time elapsed: no timer per connection. They belong to the
/// participant, not the connection: opening more connections (which are capped per participant
/// anyway) buys no more calls. An idle participant's buckets are dropped after a while; they would
/// have refilled by then.
/// </summary>
internal sealed class HubCallRateFilter : IHubFilter, IDisposable
{
    public const int Burst = 20;
    public const int PerSecond = 5;
    public const int SignallingBurst = 120;
    public const int SignallingPerSecond = 20;

    private readonly Microsoft.Extensions.Caching.Memory.MemoryCache _buckets = new(new Microsoft.Extensions.Caching.Memory.MemoryCacheOptions());

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var own = context.HubMethod.GetCustomAttribute<OwnBudgetAttribute>();
        var signalling = context.HubMethod.IsDefined(typeof(SignallingAttribute));
        var lane = own is not null ? context.HubMethodName : signalling ? "signalling" : "state";
        var owner = context.Context.Items[ExchangeHub.CallerKey] is ExchangeCaller caller
            ? caller.ParticipantId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "c:" + context.Context.ConnectionId;
        var bucket = _buckets.GetOrCreate((owner, lane), entry =>
        {
            entry.SlidingExpiration = TimeSpan.FromMinutes(5);
            return own is not null ? new CallBucket(own.Burst, own.PerSecond)
                : signalling ? new CallBucket(SignallingBurst, SignallingPerSecond) : new CallBucket(Burst, PerSecond);
        })!;
        if (!bucket.TryTake())
        {
            throw ExchangeProblem.TooMany("rate_limited", "Too many requests; wait a moment.");
        }

        return await next(context);
    }

    public void Dispose() => _buckets.Dispose();
}

/// <summary>A token bucket refilled lazily from the monotonic clock.</summary>
internal sealed class CallBucket(int burst, int perSecond)
{
    private readonly Lock _lock = new();
    private double _tokens = burst;
    private long _lastTicks = Environment.TickCount64;

    public bool TryTake()
    {
        lock (_lock)
        {
            var now = Environment.TickCount64;
            _tokens = Math.Min(burst, _tokens + (now - _lastTicks) * perSecond / 1000.0);
            _lastTicks = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }
    }
}
