using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LiveExchange.Hub.Live;

namespace LiveExchange.Hub.Operations;

/// <summary>
/// The "LiveExchange" meter: what this instance is doing, for a Prometheus scrape of /metrics (see
/// README, Operations). One class, so every instrument's name and meaning is in one place; features
/// call a method here rather than holding instruments of their own. Names follow OpenTelemetry's
/// conventions; the exporter turns "liveexchange.joins" into liveexchange_joins_total.
/// </summary>
internal sealed class ExchangeMetrics
{
    public const string MeterName = "LiveExchange";

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _messagesOut;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _joins;
    private readonly Counter<long> _joinsRefused;
    private readonly Counter<long> _hubCalls;
    private readonly Counter<long> _gapReleases;

    // This instance's outboxes, for the queue gauges: read when scraped, not kept up to date per write.
    private readonly ConcurrentDictionary<ConnectionOutbox, byte> _outboxes = new();

    public ExchangeMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>("liveexchange.hub.connections", "{connection}",
            "Hub connections open on this instance (connected, not yet disconnected).");
        _messagesOut = meter.CreateCounter<long>("liveexchange.hub.messages_out", "{message}",
            "Messages (events, replies, pings) written to hub connections' outboxes.");
        _dropped = meter.CreateCounter<long>("liveexchange.outbox.dropped", "{connection}",
            "Connections aborted because their client stopped reading (reason: stalled or over_limit).");
        _joins = meter.CreateCounter<long>("liveexchange.joins", "{join}", "Successful joins (POST /api/join).");
        _joinsRefused = meter.CreateCounter<long>("liveexchange.joins.refused", "{join}",
            "Refused joins, by reason (the problem code, e.g. unknown_code, session_ended).");
        _hubCalls = meter.CreateCounter<long>("liveexchange.hub.calls", "{call}",
            "Hub method calls, by method and outcome (ok, refused, error).");
        _gapReleases = meter.CreateCounter<long>("liveexchange.order.gap_releases", "{event}",
            "Ordered events (slides, notes, moderation) sent to this instance's screens without an earlier version, which had not "
            + "come from another instance within the ordering wait (200 ms): Redis was late, and those screens reload the stream.");
        meter.CreateObservableGauge("liveexchange.outbox.queued", () => _outboxes.Keys.Sum(o => o.Queued), "By",
            "Bytes written to this instance's hub connections that their clients have not taken yet.");
        meter.CreateObservableGauge("liveexchange.outbox.backlogged", () => (long)_outboxes.Keys.Count(o => o.Queued > 0), "{connection}",
            "Hub connections on this instance with bytes waiting for their client.");
    }

    public void Connected() => _connections.Add(1);

    public void Disconnected() => _connections.Add(-1);

    public void HubCall(string method, string outcome) =>
        _hubCalls.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("outcome", outcome));

    public void Joined() => _joins.Add(1);

    public void JoinRefused(string reason) => _joinsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void MessageOut() => _messagesOut.Add(1);

    public void OrderGapReleased(long events) => _gapReleases.Add(events);

    public void OutboxOpened(ConnectionOutbox outbox) => _outboxes[outbox] = 0;

    public void OutboxClosed(ConnectionOutbox outbox) => _outboxes.TryRemove(outbox, out _);

    public void OutboxDropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
