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
/// </para>
/// <para>
/// While the client keeps up, a message goes straight to the transport: its flush completes at once
/// and no other thread is involved. The first flush that does not complete (the transport's buffer is
/// full: the client is slow or stalled) turns the connection to queued mode: SignalR's writes then only
/// append to this connection's own unbounded queue and return, and a pump moves the queue to the
/// transport at the client's pace, going back to direct mode once the queue is empty. Either way the
/// messages leave in the order they were written. A connection whose queue passes
/// <see cref="OutboxOptions.MaxBytes"/>, or that takes nothing for <see cref="OutboxOptions.StallSeconds"/>
/// while bytes wait, is aborted: its client reconnects and starts again from a snapshot.
/// </para>
/// <para>
/// (The first version pumped every message through the queue. At 2,000 viewers that extra hop per
/// delivery, a thread-pool work item and a lock shared with the writer, cost about as much CPU as the
/// rest of the send: see docs/decisions/0015.)
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

    // Guards the switch between direct and queued mode. The writer (SignalR writes one message at a
    // time per connection) and the pump are the only two parties.
    private readonly Lock _gate = new();
    private bool _queued;
    private Task _pump = Task.CompletedTask;

    // Where the message being written goes: chosen at its first byte, kept until its flush.
    private PipeWriter? _target;

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

    /// <summary>The connection middleware: wraps the transport's output, runs the hub, then drains the queue.</summary>
    public static async Task RunAsync(ConnectionContext connection, Func<Task> next, OutboxOptions options, ILogger logger, Operations.ExchangeMetrics metrics)
    {
        LimitSocketBuffer(connection, options);
        var outbox = new ConnectionOutbox(connection, options, logger, metrics);
        var transport = connection.Transport;
        connection.Transport = new DuplexPipe(transport.Input, outbox);
        EnsureWatchdog();
        Open[outbox] = 0;
        metrics.OutboxOpened(outbox);
        try
        {
            await next();
        }
        finally
        {
            // Whatever is still queued goes out (still watched: a client that stops reading now is dropped
            // too), then the transport hears that SignalR finished writing, whichever way the pump ended.
            await outbox._queue.Writer.CompleteAsync();
            await outbox.EnsurePumpAsync(default);
            Open.TryRemove(outbox, out _);
            metrics.OutboxClosed(outbox);
            await transport.Output.CompleteAsync();
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

    /// <summary>Starts the pump unless it runs; returns it. <paramref name="pending"/> is the transport flush it waits for first.</summary>
    private Task EnsurePumpAsync(ValueTask<FlushResult> pending)
    {
        lock (_gate)
        {
            if (!_queued)
            {
                _queued = true;
                _pump = PumpAsync(pending);
            }

            return _pump;
        }
    }

    /// <summary>Moves the queue to the transport at the client's pace, until the queue is empty; then back to direct mode.</summary>
    private async Task PumpAsync(ValueTask<FlushResult> pending)
    {
        // Off the writer's call: SignalR's write returns while the client takes its time.
        await Task.Yield();
        try
        {
            var flushed = await pending;
            Volatile.Write(ref _lastProgressTicks, Environment.TickCount64);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                return;
            }

            while (true)
            {
                ReadResult result;
                lock (_gate)
                {
                    if (!_queue.Reader.TryRead(out result))
                    {
                        // Empty and the transport keeps up: the next message goes direct.
                        _queued = false;
                        return;
                    }
                }

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
                    await _queue.Reader.CompleteAsync();
                    await _transport.CompleteAsync();
                    return;
                }

                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            // The transport went away first; the connection is ending anyway (RunAsync completes the transport).
            _logger.LogDebug("The outbox of {ConnectionId} stopped: {Reason}", _connection.ConnectionId, e.Message);
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

    // --- PipeWriter: direct to the transport while it keeps up, else into the unbounded queue, so
    // FlushAsync never waits for the client.

    private long _unflushed;

    private PipeWriter Target
    {
        get
        {
            if (_target is null)
            {
                lock (_gate)
                {
                    // Direct only when nothing waits and no flush is pending: the pump is not writing then,
                    // and only this writer can start it again.
                    _target = _queued ? _queue.Writer : _transport;
                }
            }

            return _target;
        }
    }

    public override void Advance(int bytes)
    {
        _unflushed += bytes;
        Target.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => Target.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => Target.GetSpan(sizeHint);

    public override void CancelPendingFlush()
    {
        _queue.Writer.CancelPendingFlush();
        _transport.CancelPendingFlush();
    }

    public override void Complete(Exception? exception = null) => _queue.Writer.Complete(exception);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var bytes = _unflushed;
        _unflushed = 0;
        // A flush with nothing written still goes where the mode says: never beside a running pump.
        var target = _target ?? Target;
        _target = null;
        if (bytes > 0)
        {
            // SignalR flushes once per message it writes (an event, a reply, a ping).
            _metrics.MessageOut();
        }

        if (Queued == 0)
        {
            // Nothing was waiting: the client is keeping up, so this write starts the clock afresh.
            Volatile.Write(ref _lastProgressTicks, Environment.TickCount64);
        }

        if (target == _transport)
        {
            return FlushDirect();
        }

        if (Interlocked.Add(ref _written, bytes) - Interlocked.Read(ref _pumped) > _options.MaxBytes)
        {
            Drop("over_limit", $"left more than {_options.MaxBytes} bytes unread");
        }

        var queued = _queue.Writer.FlushAsync(cancellationToken);
        // The pump may have found the queue empty and stopped just before these bytes arrived.
        _ = EnsurePumpAsync(default);
        return queued;
    }

    private ValueTask<FlushResult> FlushDirect()
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = _transport.FlushAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ConnectionAbortedException)
        {
            // The transport went away: tell SignalR the output is done, as the transport would.
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));
        }

        if (flush.IsCompletedSuccessfully)
        {
            return flush;
        }

        // The transport is full: later messages queue behind this one, and the pump waits for it.
        _ = EnsurePumpAsync(flush);
        return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
