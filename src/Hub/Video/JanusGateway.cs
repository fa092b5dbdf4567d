using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LiveExchange.Hub.Problems;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Video;

/// <summary>A VideoRoom reply: the plugin's data, and the SDP Janus sent with it (an answer or an offer).</summary>
public sealed record JanusReply(JsonObject Data, JsonObject? Jsep);

/// <summary>
/// This instance's one session with Janus, over its HTTP API (the hub is Janus's only client). Every
/// request carries the API secret. Asynchronous VideoRoom replies and handle events (hangup,
/// webrtcup) come back through one long poll per instance and are matched to requests by transaction.
/// <para>
/// When Janus goes away, every handle of this session is gone with it: <see cref="Lost"/> tells the
/// media relay, which marks this instance's feeds interrupted; the loop then makes a new session as
/// soon as Janus answers again, and publishers publish anew.
/// </para>
/// </summary>
public sealed class JanusGateway(IOptions<VideoOptions> options, ILogger<JanusGateway> logger) : BackgroundService
{
    public const string Plugin = "janus.plugin.videoroom";
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly VideoOptions _options = options.Value;
    private long _session;
    private long _control;
    private long _generation;

    /// <summary>Raised (on the poll loop) when the session with Janus is lost.</summary>
    public event Func<Task>? Lost;

    /// <summary>Raised for events Janus sends on a handle by itself (hangup, webrtcup, media).</summary>
    public event Action<long, JsonObject>? HandleEvent;

    public bool Available => Interlocked.Read(ref _session) != 0;

    /// <summary>Changes each time a new Janus session is made, so callers can tell a room made on an old one.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Configured)
        {
            return;
        }

        var backoff = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var created = await PostAsync("", new JsonObject { ["janus"] = "create" }, stoppingToken);
                var session = created["data"]!["id"]!.GetValue<long>();
                Interlocked.Exchange(ref _session, session);
                _control = await AttachAsync(stoppingToken);
                Interlocked.Increment(ref _generation);
                logger.LogInformation("Connected to Janus at {Url} (session {Session}).", _options.JanusUrl, session);
                backoff = TimeSpan.FromMilliseconds(500);
                await PollAsync(session, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                var wasConnected = Interlocked.Exchange(ref _session, 0) != 0;
                foreach (var (key, waiter) in _pending)
                {
                    if (_pending.TryRemove(key, out _))
                    {
                        waiter.TrySetException(Unavailable());
                    }
                }

                if (wasConnected)
                {
                    logger.LogWarning("Lost the Janus session: {Reason}. Retrying.", e.Message);
                    if (Lost is { } lost)
                    {
                        try
                        {
                            await lost();
                        }
                        catch (Exception handlerError)
                        {
                            logger.LogWarning(handlerError, "Reacting to the lost Janus session failed.");
                        }
                    }
                }
                else
                {
                    logger.LogDebug("Janus is not reachable at {Url}: {Reason}", _options.JanusUrl, e.Message);
                }

                await Task.Delay(backoff, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 3000));
            }
        }
    }

    private async Task PollAsync(long session, CancellationToken ct)
    {
        var lastKeepalive = DateTime.UtcNow;
        while (true)
        {
            if (DateTime.UtcNow - lastKeepalive > TimeSpan.FromSeconds(20))
            {
                await PostAsync($"/{session}", new JsonObject { ["janus"] = "keepalive" }, ct);
                lastKeepalive = DateTime.UtcNow;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(45)); // Janus answers an idle poll after 30 s.
            var url = $"{_options.JanusUrl}/{session}?maxev=20&apisecret={Uri.EscapeDataString(_options.ApiSecret)}";
            using var response = await _http.GetAsync(url, timeout.Token);
            response.EnsureSuccessStatusCode();
            var node = JsonNode.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
            var events = node is JsonArray array ? array.OfType<JsonObject>() : [node!.AsObject()];
            foreach (var e in events)
            {
                Dispatch(e);
            }
        }
    }

    private void Dispatch(JsonObject e)
    {
        var kind = (string?)e["janus"];
        if (kind == "error")
        {
            throw new InvalidOperationException($"Janus: {e["error"]?["reason"]}");
        }

        if ((string?)e["transaction"] is { } transaction && _pending.TryRemove(transaction, out var waiter))
        {
            waiter.TrySetResult(e);
            return;
        }

        if (kind is not ("keepalive" or "ack") && e["sender"] is { } sender)
        {
            HandleEvent?.Invoke(sender.GetValue<long>(), e);
        }
    }

    public async Task<long> AttachAsync(CancellationToken ct = default)
    {
        var reply = await PostAsync($"/{RequireSession()}", new JsonObject { ["janus"] = "attach", ["plugin"] = Plugin }, ct);
        return reply["data"]!["id"]!.GetValue<long>();
    }

    public async Task DetachAsync(long handle)
    {
        if (!Available)
        {
            return;
        }

        try
        {
            await PostAsync($"/{RequireSession()}/{handle}", new JsonObject { ["janus"] = "detach" }, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogDebug("Detaching Janus handle {Handle}: {Reason}", handle, e.Message);
        }
    }

    /// <summary>A VideoRoom request on the instance's own control handle (create, kick).</summary>
    public Task<JanusReply> ControlAsync(JsonObject body) => SendAsync(_control, body, null);

    /// <summary>Sends a VideoRoom request; for asynchronous ones, waits for the event that answers it.</summary>
    public async Task<JanusReply> SendAsync(long handle, JsonObject body, JsonObject? jsep, CancellationToken ct = default)
    {
        var message = new JsonObject { ["janus"] = "message", ["body"] = body };
        if (jsep is not null)
        {
            message["jsep"] = jsep;
        }

        var transaction = Guid.NewGuid().ToString("N");
        var waiter = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[transaction] = waiter;
        try
        {
            var reply = await PostAsync($"/{RequireSession()}/{handle}", message, ct, transaction);
            if ((string?)reply["janus"] == "ack")
            {
                reply = await waiter.Task.WaitAsync(ReplyTimeout, ct);
            }

            var data = reply["plugindata"]?["data"]?.AsObject()
                ?? throw new InvalidOperationException("Janus sent no plugin data.");
            if (data["error_code"] is { } code)
            {
                throw new JanusError(code.GetValue<int>(), (string?)data["error"] ?? "");
            }

            return new JanusReply(data, reply["jsep"]?.AsObject());
        }
        catch (TimeoutException)
        {
            throw ExchangeProblem.Unavailable("video_unavailable", "The video server did not answer; try again in a moment.");
        }
        finally
        {
            _pending.TryRemove(transaction, out _);
        }
    }

    public async Task TrickleAsync(long handle, JsonObject candidate) =>
        await PostAsync($"/{RequireSession()}/{handle}", new JsonObject { ["janus"] = "trickle", ["candidate"] = candidate }, CancellationToken.None);

    private async Task<JsonObject> PostAsync(string path, JsonObject body, CancellationToken ct, string? transaction = null)
    {
        body["transaction"] = transaction ?? Guid.NewGuid().ToString("N");
        body["apisecret"] = _options.ApiSecret;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ReplyTimeout);
        JsonObject reply;
        try
        {
            using var response = await _http.PostAsJsonAsync(_options.JanusUrl + path, body, timeout.Token);
            response.EnsureSuccessStatusCode();
            reply = (await response.Content.ReadFromJsonAsync<JsonObject>(timeout.Token))!;
        }
        catch (Exception e) when (e is HttpRequestException || e is OperationCanceledException && !ct.IsCancellationRequested)
        {
            // Janus went away (or hangs) under a request: the caller hears "unavailable", the poll loop reconnects.
            throw Unavailable();
        }

        if ((string?)reply["janus"] == "error")
        {
            var code = reply["error"]?["code"]?.GetValue<int>() ?? 0;
            if (code == 458)
            {
                // "No such session": Janus restarted under us. The poll loop notices and starts again.
                throw ExchangeProblem.Unavailable("video_unavailable", "The video server restarted; try again in a moment.");
            }

            throw new JanusError(code, (string?)reply["error"]?["reason"] ?? "");
        }

        return reply;
    }

    private long RequireSession() =>
        Interlocked.Read(ref _session) is var s and not 0 ? s : throw Unavailable();

    private static ExchangeProblem Unavailable() =>
        ExchangeProblem.Unavailable("video_unavailable", "The video server is not reachable at the moment; slides and questions still work.");

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}

/// <summary>An error Janus or the VideoRoom plugin reported, with its code.</summary>
public sealed class JanusError(int code, string reason) : Exception($"Janus error {code}: {reason}")
{
    public int Code { get; } = code;
}
