using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace LiveExchange.Hub.Live;

/// <summary>
/// Limits on what one connection may leave unread. Defaults fit a viewer on a weak line: a full
/// snapshot of a busy session is a few hundred KB, and a mobile network may pause for several seconds.
/// </summary>
public sealed class OutboxOptions
{
    /// <summary>Bytes waiting for one connection beyond which it is dropped (it resyncs when it comes back).</summary>
    public int MaxBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>How long a connection may go without taking any of its waiting bytes before it is dropped.</summary>
    public int StallSeconds { get; set; } = 15;

    /// <summary>The kernel send buffer of each hub WebSocket (0: the kernel's own, self-growing, choice).</summary>
    public int SocketSendBufferBytes { get; set; } = 256 * 1024;
}

/// <summary>
/// Sits between SignalR and the transport of every hub connection, so that sending to a connection
/// never waits for that connection's client to read.
/// <para>
/// Without it, a write blocks once the transport's buffers are full; SignalR's group sends await every
/// connection's write, and the Redis backplane delivers a channel's messages one after another, so one
/// client that stops reading held back every broadcast to its session (and a host's call with it).
/// Here a write only appends to this connection's own queue and returns; a pump per connection moves
/// the queue to the transport at the client's pace. A connection whose queue passes
/// <see cref="OutboxOptions.MaxBytes"/>, or that takes nothing for <see cref="OutboxOptions.StallSeconds"/>
/// while bytes wait, is aborted: its client reconnects and starts again from a snapshot.
/// </para>
/// </summary>
internal sealed class ConnectionOutbox : PipeWriter
{
    private static readonly ConcurrentDictionary<ConnectionOutbox, byte> Open = new();
    private static Timer? _watchdog;

    private readonly ConnectionContext _connection;
    private readonly PipeWriter _transport;
    private readonly Pipe _queue = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly OutboxOptions _options;
    private readonly ILogger _logger;
    private readonly Operations.ExchangeMetrics _metrics;
    private long _lastProgressTicks = Environment.TickCount64;
    private int _aborted;

    // Bytes handed to the queue and bytes the pump has passed on; each written by one side only.
    private long _written;
    private long _pumped;

    private ConnectionOutbox(ConnectionContext connection, OutboxOptions options, ILogger logger, Operations.ExchangeMetrics metrics)
    {
        _metrics = metrics;
        _connection = connection;
        _transport = connection.Transport.Output;
        _options = options;
        _logger = logger;
    }

    /// <summary>Bytes written but not yet taken by the transport.</summary>
    internal long Queued => Interlocked.Read(ref _written) - Interlocked.Read(ref _pumped);

    /// <summary>The connection middleware: wraps the transport's output, runs the hub, then drains the pump.</summary>
    public static async Task RunAsync(ConnectionContext connection, Func<Task> next, OutboxOptions options, ILogger logger, Operations.ExchangeMetrics metrics)
    {
        LimitSocketBuffer(connection, options);
        var outbox = new ConnectionOutbox(connection, options, logger, metrics);
        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(transport.Input, outbox);
        EnsureWatchdog();
        Open[outbox] = 0;
        metrics.OutboxOpened(outbox);
        var pump = outbox.PumpAsync();
        try
        {
            await next();
        }
        finally
        {
            Open.TryRemove(outbox, out _);
            metrics.OutboxClosed(outbox);
            await outbox._queue.Writer.CompleteAsync();
            await pump;
        }
    }

    /// <summary>
    /// The kernel would otherwise grow a WebSocket's send buffer to megabytes for a client that does
    /// not read, hiding it from the stall check and costing memory per viewer. Hub messages are small:
    /// a fixed buffer still carries megabytes a second on a 100 ms line.
    /// </summary>
    private static void LimitSocketBuffer(ConnectionContext connection, OutboxOptions options)
    {
        if (options.SocketSendBufferBytes <= 0)
        {
            return;
        }

        var http = Microsoft.AspNetCore.Http.Connections.HttpConnectionContextExtensions.GetHttpContext(connection);
        if (http?.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionSocketFeature>()?.Socket is { } socket)
        {
            try
            {
                socket.SendBufferSize = options.SocketSendBufferBytes;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Not a socket that takes the option (a test server); the stall check still works, later.
            }
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            while (true)
            {
                var result = await _queue.Reader.ReadAsync();
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    _transport.Write(segment.Span);
                }

                var flush = await _transport.FlushAsync();
                _queue.Reader.AdvanceTo(buffer.End);
                Interlocked.Add(ref _pumped, buffer.Length);
                Volatile.Write(ref _lastProgressTicks, Environment.TickCount64);
                if (result.IsCompleted)
                {
                    // SignalR finished writing: pass that on, as it would have without the outbox.
                    await _transport.CompleteAsync();
                    break;
                }

                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException or ConnectionAbortedException)
        {
            // The transport went away first; the connection is ending anyway.
        }
        finally
        {
            await _queue.Reader.CompleteAsync();
        }
    }

    private static void EnsureWatchdog()
    {
        if (_watchdog is not null)
        {
            return;
        }

        var timer = new Timer(_ =>
        {
            foreach (var outbox in Open.Keys)
            {
                outbox.CheckStall();
            }
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        if (Interlocked.CompareExchange(ref _watchdog, timer, null) is not null)
        {
            timer.Dispose();
        }
    }

    private void CheckStall()
    {
        if (Queued > 0 && Environment.TickCount64 - Volatile.Read(ref _lastProgressTicks) > _options.StallSeconds * 1000L)
        {
            Drop("stalled", $"took nothing for {_options.StallSeconds} s with {Queued} bytes waiting");
        }
    }

    private void Drop(string reason, string why)
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _metrics.OutboxDropped(reason);
            _logger.LogWarning("Dropping connection {ConnectionId}: its client {Why}.", _connection.ConnectionId, why);
            _connection.Abort(new ConnectionAbortedException($"The client {why}."));
        }
    }

    // --- PipeWriter: everything goes into the unbounded queue, so FlushAsync never waits for the client.

    private long _unflushed;

    public override void Advance(int bytes)
    {
        _unflushed += bytes;
        _queue.Writer.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => _queue.Writer.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => _queue.Writer.GetSpan(sizeHint);

    public override void CancelPendingFlush() => _queue.Writer.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => _queue.Writer.Complete(exception);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_unflushed > 0)
        {
            // SignalR flushes once per message it writes (an event, a reply, a ping).
            _metrics.MessageOut();
        }

        if (Queued == 0)
        {
            // The queue was empty: the client is keeping up, so this write starts the clock afresh.
            Volatile.Write(ref _lastProgressTicks, Environment.TickCount64);
        }

        if (Interlocked.Add(ref _written, _unflushed) - Interlocked.Read(ref _pumped) > _options.MaxBytes)
        {
            Drop("over_limit", $"left more than {_options.MaxBytes} bytes unread");
        }

        _unflushed = 0;
        return _queue.Writer.FlushAsync(cancellationToken);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
