using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace LiveExchange.Bench.Wire;

/// <summary>What a <see cref="WireViewer"/> speaks on its WebSocket.</summary>
public enum WireProtocol
{
    /// <summary>SignalR's JSON hub protocol: text frames, records ended by 0x1e.</summary>
    SignalRJson,

    /// <summary>SignalR's MessagePack hub protocol: binary frames, each record behind a varint length.</summary>
    SignalRMessagePack,

    /// <summary>Socket.IO v4 over Engine.IO v4, WebSocket transport only.</summary>
    SocketIo,
}

/// <summary>
/// One simulated screen, as light as a client can be, so that the generator costs the same whichever
/// server it drives: a bare <see cref="ClientWebSocket"/>, one receive loop, no timer of its own (the
/// SignalR keep-alive comes from one shared <see cref="WirePinger"/>; Engine.IO's server asks, the loop
/// answers). It timestamps each page change on arrival and counts those that arrive out of order.
/// </summary>
public sealed class WireViewer : IAsyncDisposable
{
    private const byte RecordSeparator = 0x1e;

    // One handler for every connection: each WebSocket takes its own TCP connection out of it anyway.
    private static readonly HttpMessageInvoker Invoker = new(new SocketsHttpHandler { UseCookies = false });

    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<int>? _onDelivery;
    private byte[] _buffer = new byte[2048];
    private readonly bool _awaitsSnapshot;
    private bool _handshaken;
    private int _lastIndex = -1;
    private int _outOfOrder;
    private int _nextCall;
    private TaskCompletionSource? _call;
    private Task _receiving = Task.CompletedTask;

    private WireViewer(WireProtocol protocol, bool awaitsSnapshot, int firstPage, int changes, Action<int>? onDelivery)
    {
        _awaitsSnapshot = awaitsSnapshot;
        Protocol = protocol;
        FirstPage = firstPage;
        Receipts = new long[changes];
        _onDelivery = onDelivery;
        // No WebSocket keep-alive timer per connection: the shared pinger or the server's pings keep it open.
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
    }

    public WireProtocol Protocol { get; }

    /// <summary>The page whose arrival is Receipts[0].</summary>
    public int FirstPage { get; }

    /// <summary>Stopwatch timestamp at which page (index + FirstPage) arrived; 0 if it never did.</summary>
    public long[] Receipts { get; }

    /// <summary>Page changes that arrived after a later one.</summary>
    public int OutOfOrder => Volatile.Read(ref _outOfOrder);

    /// <summary>
    /// Connects and waits until the server accepted the connection: the SignalR handshake answered (with
    /// a token, on our hub: until the snapshot arrived too, as a joining screen), or Socket.IO's namespace connected.
    /// </summary>
    /// <param name="onDelivery">Called with the receipt's index once per page first received, from the receive loop.</param>
    /// <remarks>The WebSocket is opened straight away, without SignalR's negotiate request, as the browser does.</remarks>
    public static async Task<WireViewer> ConnectAsync(WireProtocol protocol, Uri baseAddress, string path, string? token,
        int firstPage, int changes, WirePinger? pinger, Action<int>? onDelivery, CancellationToken ct)
    {
        var viewer = new WireViewer(protocol, token is not null, firstPage, changes, onDelivery);
        var query = protocol == WireProtocol.SocketIo ? "EIO=4&transport=websocket"
            : token is null ? "" : "access_token=" + Uri.EscapeDataString(token);
        try
        {
            var uri = new UriBuilder(new Uri(baseAddress, path)) { Scheme = "ws", Query = query }.Uri;
            await viewer._socket.ConnectAsync(uri, Invoker, ct);
            viewer._receiving = viewer.ReceiveAsync();
            if (protocol != WireProtocol.SocketIo)
            {
                var name = protocol == WireProtocol.SignalRJson ? "json" : "messagepack";
                await viewer.SendAsync(Encoding.UTF8.GetBytes($$"""{"protocol":"{{name}}","version":1}""" + "\u001e"), WebSocketMessageType.Text);
                pinger?.Add(viewer);
            }

            await viewer._ready.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            return viewer;
        }
        catch
        {
            await viewer.DisposeAsync();
            throw;
        }
    }

    /// <summary>Joins a group (bare hub) or room (Socket.IO relay) and waits for the server's answer.</summary>
    public Task JoinAsync(string group) => CallAsync("Join", "join", JsonSerializer.Serialize(group), group);

    /// <summary>
    /// The host's page change on the relays: relay a PageChanged to the group, wait for the acknowledgement.
    /// (The host speaks JSON: a SignalR hub answers each connection in its own protocol.)
    /// </summary>
    public Task RelayAsync(string group, int page, int pageCount) => Protocol == WireProtocol.SignalRMessagePack
        ? throw new NotSupportedException("The host relays over JSON or Socket.IO.")
        : CallAsync("Relay", "relay",
            JsonSerializer.Serialize(group) + "," + string.Create(CultureInfo.InvariantCulture, $$"""{"version":{{page}},"page":{{page}},"pageCount":{{pageCount}}}"""), null);

    /// <summary>Sends the SignalR ping that keeps an otherwise silent client from being dropped after 30 s.</summary>
    internal Task PingAsync() => Protocol switch
    {
        WireProtocol.SignalRJson => SendAsync("{\"type\":6}\u001e"u8.ToArray(), WebSocketMessageType.Text),
        WireProtocol.SignalRMessagePack => SendAsync([0x02, 0x91, 0x06], WebSocketMessageType.Binary),
        _ => Task.CompletedTask,
    };

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closing is best effort: the server may be gone already.
        }

        _socket.Abort();
        await _receiving;
        _socket.Dispose();
    }

    // One call at a time per client (a join, or the host's relays one after another), so one pending completion.
    private async Task CallAsync(string hubMethod, string socketIoEvent, string jsonArguments, string? messagePackArgument)
    {
        var id = Interlocked.Increment(ref _nextCall);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _call, done);
        switch (Protocol)
        {
            case WireProtocol.SocketIo:
                await SendAsync(Encoding.UTF8.GetBytes($"42{id}[\"{socketIoEvent}\",{jsonArguments}]"), WebSocketMessageType.Text);
                break;
            case WireProtocol.SignalRJson:
                await SendAsync(Encoding.UTF8.GetBytes($$"""{"type":1,"invocationId":"{{id}}","target":"{{hubMethod}}","arguments":[{{jsonArguments}}]}""" + "\u001e"), WebSocketMessageType.Text);
                break;
            default:
                await SendAsync(MessagePackInvocation(id, hubMethod, messagePackArgument!), WebSocketMessageType.Binary);
                break;
        }

        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>An Invocation record [1, headers, id, target, [argument], streams] behind its varint length.</summary>
    private static byte[] MessagePackInvocation(int id, string target, string argument)
    {
        var body = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(body);
        writer.WriteArrayHeader(6);
        writer.Write(1);
        writer.WriteMapHeader(0);
        writer.Write(id.ToString(CultureInfo.InvariantCulture));
        writer.Write(target);
        writer.WriteArrayHeader(1);
        writer.Write(argument);
        writer.WriteArrayHeader(0);
        writer.Flush();

        var frame = new List<byte>(body.WrittenCount + 5);
        for (var length = (uint)body.WrittenCount; ; length >>= 7)
        {
            frame.Add((byte)(length < 0x80 ? length : (length & 0x7f) | 0x80));
            if (length < 0x80)
            {
                break;
            }
        }

        frame.AddRange(body.WrittenSpan);
        return frame.ToArray();
    }

    private async Task SendAsync(byte[] message, WebSocketMessageType type)
    {
        await _sending.WaitAsync();
        try
        {
            await _socket.SendAsync(message, type, true, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task ReceiveAsync()
    {
        var count = 0;
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(_buffer.AsMemory(count), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                count += result.Count;
                if (!result.EndOfMessage)
                {
                    if (count == _buffer.Length)
                    {
                        Array.Resize(ref _buffer, _buffer.Length * 2);
                    }

                    continue;
                }

                var now = Stopwatch.GetTimestamp();
                await HandleAsync(count, now);
                count = 0;
            }

            Fail(new WebSocketException("The server closed the connection."));
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or JsonException or MessagePackSerializationException)
        {
            Fail(e);
        }
    }

    private void Fail(Exception e)
    {
        _ready.TrySetException(e);
        Volatile.Read(ref _call)?.TrySetException(e);
    }

    private async Task HandleAsync(int count, long now)
    {
        var start = 0;
        if (Protocol != WireProtocol.SocketIo && !_handshaken)
        {
            // The handshake answer is JSON whatever the protocol, and may share its frame with the first messages.
            var end = Array.IndexOf(_buffer, RecordSeparator, 0, count);
            if (end < 0)
            {
                throw new InvalidOperationException("The handshake answer did not end with 0x1e.");
            }

            if (_buffer.AsSpan(0, end).IndexOf("\"error\""u8) >= 0)
            {
                throw new InvalidOperationException("Handshake refused: " + Encoding.UTF8.GetString(_buffer, 0, end));
            }

            _handshaken = true;
            start = end + 1;
            if (!_awaitsSnapshot)
            {
                _ready.TrySetResult();
            }
        }

        switch (Protocol)
        {
            case WireProtocol.SignalRJson:
                while (start < count)
                {
                    var end = Array.IndexOf(_buffer, RecordSeparator, start, count - start);
                    end = end < 0 ? count : end;
                    HandleSignalRJson(_buffer.AsSpan(start, end - start), now);
                    start = end + 1;
                }

                break;
            case WireProtocol.SignalRMessagePack:
                while (start < count)
                {
                    var length = 0;
                    for (var shift = 0; ; shift += 7)
                    {
                        var b = _buffer[start++];
                        length |= (b & 0x7f) << shift;
                        if (b < 0x80)
                        {
                            break;
                        }
                    }

                    HandleSignalRMessagePack(_buffer.AsMemory(start, length), now);
                    start += length;
                }

                break;
            default:
                await HandleSocketIoAsync(count, now);
                break;
        }
    }

    private void HandleSignalRJson(ReadOnlySpan<byte> record, long now)
    {
        if (record.IsEmpty)
        {
            return;
        }

        var reader = new Utf8JsonReader(record);
        int type = 0, page = -1;
        bool pageChanged = false, snapshot = false, error = false;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                pageChanged = reader.ValueTextEquals("PageChanged"u8);
                snapshot = reader.ValueTextEquals("Snapshot"u8);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                error = true;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("arguments"u8) && pageChanged)
            {
                reader.Read(); // [
                reader.Read(); // { of the PageChanged
                page = ReadJsonPage(ref reader);
                while (reader.TokenType != JsonTokenType.EndArray || reader.CurrentDepth != 1)
                {
                    reader.Read();
                }
            }
            else
            {
                reader.Skip();
            }
        }

        Dispatch(type, pageChanged, snapshot, error, page, now);
    }

    private static int ReadJsonPage(ref Utf8JsonReader reader)
    {
        var page = -1;
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("page"u8))
            {
                reader.Read();
                page = reader.GetInt32();
            }
            else if (reader.TokenType == JsonTokenType.PropertyName)
            {
                reader.Skip();
            }
        }

        return page;
    }

    private void HandleSignalRMessagePack(ReadOnlyMemory<byte> record, long now)
    {
        var reader = new MessagePackReader(record);
        var fields = reader.ReadArrayHeader();
        var type = reader.ReadInt32();
        int page = -1;
        bool pageChanged = false, snapshot = false, error = false;
        if (type == 1 && fields >= 5)
        {
            reader.Skip(); // headers
            reader.Skip(); // invocation id
            var target = reader.ReadStringSequence()!.Value;
            pageChanged = target.FirstSpan.SequenceEqual("PageChanged"u8);
            snapshot = target.FirstSpan.SequenceEqual("Snapshot"u8);
            if (pageChanged && reader.ReadArrayHeader() > 0)
            {
                page = ReadMessagePackPage(ref reader);
            }
        }
        else if (type == 3 && fields >= 4)
        {
            reader.Skip(); // headers
            reader.Skip(); // invocation id
            error = reader.ReadInt32() == 1;
        }

        Dispatch(type, pageChanged, snapshot, error, page, now);
    }

    // A PageChanged as the MessagePack protocol writes it: a map by property name (contractless), or an
    // array in declaration order (Version, Page, PageCount) where the record carries keys.
    private static int ReadMessagePackPage(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType == MessagePackType.Array)
        {
            reader.ReadArrayHeader();
            reader.Skip();
            return reader.ReadInt32();
        }

        var page = -1;
        for (var entries = reader.ReadMapHeader(); entries > 0; entries--)
        {
            var key = reader.ReadStringSequence()!.Value;
            if (key.FirstSpan.SequenceEqual("Page"u8) || key.FirstSpan.SequenceEqual("page"u8))
            {
                page = reader.ReadInt32();
            }
            else
            {
                reader.Skip();
            }
        }

        return page;
    }

    private void Dispatch(int type, bool pageChanged, bool snapshot, bool error, int page, long now)
    {
        switch (type)
        {
            case 1 when pageChanged:
                Delivered(page, now);
                break;
            case 1 when snapshot:
                _ready.TrySetResult();
                break;
            case 3:
                var call = Volatile.Read(ref _call);
                if (error)
                {
                    call?.TrySetException(new InvalidOperationException("The hub refused the call."));
                }
                else
                {
                    call?.TrySetResult();
                }

                break;
            case 7:
                Fail(new InvalidOperationException("The hub closed the connection."));
                break;
        }
    }

    private async Task HandleSocketIoAsync(int count, long now)
    {
        var packet = _buffer.AsSpan(0, count);
        switch (packet[0])
        {
            case (byte)'0': // Engine.IO open: connect to the default namespace.
                await SendAsync("40"u8.ToArray(), WebSocketMessageType.Text);
                break;
            case (byte)'2': // Engine.IO ping: the server drops a client that does not answer.
                await SendAsync("3"u8.ToArray(), WebSocketMessageType.Text);
                break;
            case (byte)'1':
                Fail(new WebSocketException("Engine.IO close."));
                break;
            case (byte)'4' when count > 1:
                switch (packet[1])
                {
                    case (byte)'0':
                        _handshaken = true;
                        _ready.TrySetResult();
                        break;
                    case (byte)'4':
                        Fail(new InvalidOperationException("Socket.IO refused the connection: " + Encoding.UTF8.GetString(packet)));
                        break;
                    case (byte)'2':
                        var reader = new Utf8JsonReader(packet[2..]);
                        reader.Read(); // [
                        reader.Read(); // event name
                        if (reader.ValueTextEquals("PageChanged"u8))
                        {
                            reader.Read(); // {
                            Delivered(ReadJsonPage(ref reader), now);
                        }

                        break;
                    case (byte)'3':
                        Volatile.Read(ref _call)?.TrySetResult();
                        break;
                }

                break;
        }
    }

    private void Delivered(int page, long now)
    {
        var index = page - FirstPage;
        if (index < 0 || index >= Receipts.Length || Receipts[index] != 0)
        {
            return;
        }

        if (index < _lastIndex)
        {
            Interlocked.Increment(ref _outOfOrder);
        }

        _lastIndex = Math.Max(_lastIndex, index);
        Receipts[index] = now;
        _onDelivery?.Invoke(index);
    }
}
