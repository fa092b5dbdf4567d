using System.Collections.Concurrent;

namespace LiveExchange.Bench.Wire;

/// <summary>
/// One timer for all the SignalR viewers of a run: a hub drops a client that sends nothing for 30 s,
/// and a viewer only listens. A timer per connection would cost the generator thousands of timers,
/// which the relays' viewers would not pay.
/// </summary>
public sealed class WirePinger : IAsyncDisposable
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<WireViewer> _viewers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pinging;

    public WirePinger() => _pinging = PingAsync();

    public void Add(WireViewer viewer) => _viewers.Enqueue(viewer);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pinging;
        _stop.Dispose();
    }

    private async Task PingAsync()
    {
        using var timer = new PeriodicTimer(Every);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                foreach (var viewer in _viewers)
                {
                    try
                    {
                        await viewer.PingAsync();
                    }
                    catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
                    {
                        // A closed viewer: its own receive loop reports it.
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
