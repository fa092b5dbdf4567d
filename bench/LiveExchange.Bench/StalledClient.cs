using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using LiveExchange.Shared;

namespace LiveExchange.Bench;

/// <summary>
/// A hub client that stops reading: a raw WebSocket through a socket with a tiny receive buffer, so
/// what the server sends piles up on the server's side, as with a phone whose network froze.
/// </summary>
public sealed class StalledClient : IDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly HttpMessageInvoker _invoker;

    private StalledClient(ClientWebSocket socket, HttpMessageInvoker invoker) => (_socket, _invoker) = (socket, invoker);

    public static async Task<StalledClient> ConnectAsync(Uri baseAddress, string token)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var invoker = new HttpMessageInvoker(handler);
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(new Uri(baseAddress, ExchangeHubRoute.Path)) { Scheme = "ws", Query = $"access_token={Uri.EscapeDataString(token)}" }.Uri;
        await socket.ConnectAsync(uri, invoker, CancellationToken.None);
        var client = new StalledClient(socket, invoker);
        await client.SendAsync("""{"protocol":"json","version":1}""");
        return client;
    }

    public Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json + "\u001e"), WebSocketMessageType.Text, true, CancellationToken.None);

    public void Dispose()
    {
        _socket.Abort();
        _socket.Dispose();
        _invoker.Dispose();
    }
}
