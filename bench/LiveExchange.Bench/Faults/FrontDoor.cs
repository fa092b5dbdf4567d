using System.Net;
using System.Net.Sockets;

namespace LiveExchange.Bench.Faults;

/// <summary>
/// The one address clients use, in front of every hub instance, as a load balancer is: each new TCP
/// connection goes to the next instance that accepts it. When an instance dies its connections
/// close, and the clients' reconnections land on one that is alive.
/// </summary>
public sealed class FrontDoor : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IReadOnlyList<Uri> _backends;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _next;

    public FrontDoor(IReadOnlyList<Uri> backends)
    {
        _backends = backends;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            client.NoDelay = true;
            TcpClient? backend = null;
            for (var tried = 0; tried < _backends.Count && backend is null; tried++)
            {
                var target = _backends[(int)((uint)Interlocked.Increment(ref _next) % _backends.Count)];
                var candidate = new TcpClient { NoDelay = true };
                try
                {
                    await candidate.ConnectAsync(target.Host, target.Port, _stop.Token);
                    backend = candidate;
                }
                catch (SocketException)
                {
                    candidate.Dispose(); // That instance is down: the next one.
                }
            }

            if (backend is null)
            {
                return;
            }

            using (backend)
            {
                var a = client.GetStream();
                var b = backend.GetStream();
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = Pump(a, b, done.Token);
                var down = Pump(b, a, done.Token);
                await Task.WhenAny(up, down);
                done.Cancel();
            }
        }
    }

    private static async Task Pump(NetworkStream from, NetworkStream to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, ct)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // One side went away: the caller closes both.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
