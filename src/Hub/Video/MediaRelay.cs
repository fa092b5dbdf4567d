using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Stage;
using LiveExchange.Shared;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Video;

/// <summary>
/// The hub's side of video: it is Janus's only client, so it alone decides who may publish (the host,
/// and viewers the host brought on stage) and who may watch (participants of the session). Browsers
/// send their SDP and ICE candidates here; the relay builds every Janus request itself, so nothing a
/// browser sends can reach Janus as a request of its own choosing.
/// <para>
/// Janus handles are signalling state, kept per hub connection on the instance that holds the
/// connection: when a client reconnects elsewhere, it negotiates again. What others must know (which
/// feeds exist, whether they are live or interrupted) is in the stage stream, in the database.
/// </para>
/// </summary>
public sealed class MediaRelay
{
    public const int MaxHandlesPerConnection = 8;
    public const int MaxSdpLength = 64 * 1024;
    public const int MaxCandidateLength = 1024;

    private readonly JanusGateway _janus;
    private readonly StageBoard _stage;
    private readonly VideoSettingsSource _settings;
    private readonly VideoOptions _options;
    private readonly ILogger<MediaRelay> _logger;
    private readonly ConcurrentDictionary<string, ConnectionMedia> _connections = new();
    private readonly ConcurrentDictionary<long, PendingFeed> _awaitingMedia = new();
    private readonly ConcurrentDictionary<(long Room, long Generation), Task> _rooms = new();

    public MediaRelay(JanusGateway janus, StageBoard stage, VideoSettingsSource settings, IOptions<VideoOptions> options, ILogger<MediaRelay> logger)
    {
        (_janus, _stage, _settings, _options, _logger) = (janus, stage, settings, options.Value, logger);
        janus.Lost += OnJanusLostAsync;
        janus.HandleEvent += OnHandleEvent;
    }

    public async Task<PublishAnswer> PublishAsync(ExchangeCaller caller, string connectionId, PublishOffer? offer)
    {
        RequireConfigured();
        var kind = offer?.Kind is FeedKinds.Camera or FeedKinds.Screen ? offer.Kind : throw ExchangeProblem.BadRequest("validation", "Kind must be camera or screen.");
        var sdp = RequireSdp(offer.Sdp);
        if (kind == FeedKinds.Screen && !caller.IsHost)
        {
            throw ExchangeProblem.Forbidden("host_only", "Only the host can share a screen.");
        }

        await _stage.RequirePublisherAsync(caller);
        var lines = MediaLines.Parse(sdp);
        if (lines.AudioMid is null && lines.VideoMid is null)
        {
            throw ExchangeProblem.BadRequest("validation", "The offer carries neither sound nor picture.");
        }

        var media = Media(connectionId);
        // One publication per kind and connection: publishing again replaces the earlier one.
        if (media.Find(h => h.Publisher && h.Kind == kind) is { } previous)
        {
            await DropHandleAsync(media, previous.Handle);
        }

        var room = await EnsureRoomAsync(caller.SessionId);
        var handle = await AttachAsync(media);
        try
        {
            var joined = await _janus.SendAsync(handle, new JsonObject
            {
                ["request"] = "join",
                ["ptype"] = "publisher",
                ["room"] = room,
                ["pin"] = _options.RoomSecret,
                ["display"] = $"p{caller.ParticipantId}:{kind}",
            }, null);
            var feedId = joined.Data["id"]!.GetValue<long>();
            media.Set(handle, new MediaHandle(handle, true, kind, feedId, caller.SessionId, null));
            _awaitingMedia[handle] = new PendingFeed(caller, kind, feedId, lines, connectionId);
            var published = await _janus.SendAsync(handle, new JsonObject
            {
                ["request"] = "publish",
                ["bitrate"] = 1_500_000,
                ["descriptions"] = new JsonArray(),
            }, new JsonObject { ["type"] = "offer", ["sdp"] = sdp });
            var answer = (string?)published.Jsep?["sdp"] ?? throw ExchangeProblem.Unavailable("video_unavailable", "The video server sent no answer.");
            return new PublishAnswer(feedId, handle, answer);
        }
        catch
        {
            _awaitingMedia.TryRemove(handle, out _);
            await DropHandleAsync(media, handle);
            throw;
        }
    }

    public async Task UnpublishAsync(ExchangeCaller caller, string connectionId, string? kind)
    {
        var media = Media(connectionId);
        if (media.Find(h => h.Publisher && h.Kind == kind) is { } handle)
        {
            await DropHandleAsync(media, handle.Handle);
            await _stage.EndFeedAsync(caller, handle.Kind, handle.FeedId);
        }
    }

    public async Task<WatchOffer> WatchAsync(ExchangeCaller caller, string connectionId, long feedId, string? quality)
    {
        RequireConfigured();
        quality = RequireQuality(quality, allowAudio: true);
        var feed = await _stage.FindFeedAsync(caller.SessionId, feedId);
        if (feed is null || feed.Status != FeedStatuses.Live)
        {
            throw ExchangeProblem.NotFound("feed_not_found", "That video is not live.");
        }

        if (quality == WatchQualities.AudioOnly && feed.AudioMid is null)
        {
            throw ExchangeProblem.BadRequest("no_audio", "That video has no sound.");
        }

        var media = Media(connectionId);
        var room = await EnsureRoomAsync(caller.SessionId);
        var handle = await AttachAsync(media);
        try
        {
            var stream = new JsonObject { ["feed"] = feedId };
            if (quality == WatchQualities.AudioOnly)
            {
                stream["mid"] = feed.AudioMid;
            }

            var attached = await _janus.SendAsync(handle, new JsonObject
            {
                ["request"] = "join",
                ["ptype"] = "subscriber",
                ["room"] = room,
                ["pin"] = _options.RoomSecret,
                ["use_msid"] = true,
                // The stage stream says when a feed goes; no unsolicited renegotiation on top of that.
                ["autoupdate"] = false,
                ["streams"] = new JsonArray(stream),
            }, null);
            var videoMid = attached.Data["streams"]?.AsArray().OfType<JsonObject>()
                .FirstOrDefault(s => (string?)s["type"] == "video")?["mid"]?.GetValue<string>();
            media.Set(handle, new MediaHandle(handle, false, feed.Kind, feedId, caller.SessionId, videoMid));
            if (videoMid is not null && quality == WatchQualities.Low)
            {
                await ConfigureQualityAsync(handle, videoMid, quality);
            }

            var offer = (string?)attached.Jsep?["sdp"] ?? throw ExchangeProblem.Unavailable("video_unavailable", "The video server sent no offer.");
            return new WatchOffer(handle, feedId, quality, offer);
        }
        catch (JanusError e) when (e.Code == 428)
        {
            await DropHandleAsync(media, handle);
            throw ExchangeProblem.NotFound("feed_not_found", "That video is not live.");
        }
        catch
        {
            await DropHandleAsync(media, handle);
            throw;
        }
    }

    public async Task StartWatchingAsync(string connectionId, long handleId, string? sdp)
    {
        var handle = Own(connectionId, handleId, publisher: false);
        await _janus.SendAsync(handle.Handle, new JsonObject { ["request"] = "start" },
            new JsonObject { ["type"] = "answer", ["sdp"] = RequireSdp(sdp) });
    }

    public async Task SetQualityAsync(string connectionId, long handleId, string? quality)
    {
        var handle = Own(connectionId, handleId, publisher: false);
        quality = RequireQuality(quality, allowAudio: false);
        if (handle.VideoMid is null)
        {
            throw ExchangeProblem.BadRequest("validation", "This subscription has no picture; watch again to change it.");
        }

        await ConfigureQualityAsync(handle.Handle, handle.VideoMid, quality);
    }

    public async Task StopWatchingAsync(string connectionId, long handleId)
    {
        var handle = Own(connectionId, handleId, publisher: false);
        await DropHandleAsync(Media(connectionId), handle.Handle);
    }

    public async Task TrickleAsync(string connectionId, long handleId, IceCandidate? candidate)
    {
        var handle = Own(connectionId, handleId, publisher: null);
        JsonObject body;
        if (candidate?.Candidate is not { Length: > 0 } text)
        {
            body = new JsonObject { ["completed"] = true };
        }
        else
        {
            if (text.Length > MaxCandidateLength || candidate.SdpMid?.Length > 32)
            {
                throw ExchangeProblem.BadRequest("validation", "That ICE candidate is too long.");
            }

            body = new JsonObject { ["candidate"] = text, ["sdpMid"] = candidate.SdpMid, ["sdpMLineIndex"] = candidate.SdpMLineIndex ?? 0 };
        }

        await _janus.TrickleAsync(handle.Handle, body);
    }

    /// <summary>The hub connection closed: its subscriptions end, its publications become "interrupted".</summary>
    public async Task ConnectionClosedAsync(string connectionId)
    {
        var now = Environment.TickCount64;
        _closed[connectionId] = now;
        foreach (var (id, at) in _closed)
        {
            if (now - at > 60_000)
            {
                _closed.TryRemove(KeyValuePair.Create(id, at));
            }
        }

        if (!_connections.TryRemove(connectionId, out var media))
        {
            return;
        }

        var published = media.All().Any(h => h.Publisher);
        // Every handle, also those attached but not yet joined (stored without details).
        foreach (var handle in media.Close())
        {
            _awaitingMedia.TryRemove(handle, out _);
            await _janus.DetachAsync(handle);
        }

        if (published)
        {
            await _stage.InterruptConnectionAsync(connectionId);
        }
    }

    /// <summary>Stops feeds in Janus (a participant taken off stage); their publishers' handles are told by Janus.</summary>
    public async Task KickAsync(long sessionId, IEnumerable<long> feedIds)
    {
        if (!_janus.Available)
        {
            return;
        }

        foreach (var feedId in feedIds)
        {
            try
            {
                await _janus.ControlAsync(new JsonObject
                {
                    ["request"] = "kick",
                    ["room"] = _settings.RoomOf(sessionId),
                    ["secret"] = _options.RoomSecret,
                    ["id"] = feedId,
                });
            }
            catch (JanusError e) when (e.Code is 426 or 428)
            {
                // Already gone.
            }
            catch (Exception e) when (e is JanusError or Problems.ExchangeProblem or HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                // Best effort: the stage change is committed and the feed's row gone, so no viewer watches
                // it any more; Janus ends the publisher when its connection closes. Not the caller's error.
                _logger.LogWarning("Kicking feed {Feed} from Janus failed ({Reason}); it ends with its connection.", feedId, e.Message);
            }
        }
    }

    private async Task ConfigureQualityAsync(long handle, string videoMid, string quality) =>
        await _janus.SendAsync(handle, new JsonObject
        {
            ["request"] = "configure",
            // Substream 0 is the smallest simulcast layer, 2 the largest. "Automatic" asks for the
            // largest and lets Janus fall back to a lower one when packets stop coming.
            ["streams"] = new JsonArray(new JsonObject
            {
                ["mid"] = videoMid,
                ["substream"] = quality == WatchQualities.Low ? 0 : 2,
                ["fallback"] = 250_000,
            }),
        }, null);

    private Task<long> EnsureRoomAsync(long sessionId) => EnsureRoomCoreAsync(_settings.RoomOf(sessionId));

    private async Task<long> EnsureRoomCoreAsync(long room)
    {
        // Once per room and Janus session; two instances creating it at once is fine (427: it exists).
        var create = _rooms.GetOrAdd((room, _janus.Generation), key => CreateRoomAsync(key.Room));
        try
        {
            await create;
        }
        catch
        {
            _rooms.TryRemove(KeyValuePair.Create((room, _janus.Generation), create));
            throw;
        }

        return room;
    }

    private async Task CreateRoomAsync(long room)
    {
        try
        {
            await _janus.ControlAsync(new JsonObject
            {
                ["request"] = "create",
                ["room"] = room,
                ["permanent"] = false,
                ["is_private"] = true,
                ["secret"] = _options.RoomSecret,
                ["pin"] = _options.RoomSecret,
                // The host's camera and screen, and each agency on stage.
                ["publishers"] = _options.MaxOnStage + 2,
                ["videocodec"] = "vp8",
                ["audiocodec"] = "opus",
                ["bitrate"] = 1_500_000,
                ["fir_freq"] = 10,
                ["notify_joining"] = false,
            });
        }
        catch (JanusError e) when (e.Code == 427)
        {
            // Made by another instance.
        }
    }

    private async Task<long> AttachAsync(ConnectionMedia media)
    {
        if (media.Count >= MaxHandlesPerConnection)
        {
            throw ExchangeProblem.TooMany("too_many_streams", $"At most {MaxHandlesPerConnection} video streams per screen.");
        }

        var handle = await _janus.AttachAsync();
        if (!media.Set(handle, null))
        {
            // The connection closed while Janus attached: nobody will use or clean up this handle.
            await _janus.DetachAsync(handle);
            throw ExchangeProblem.NotFound("stream_not_found", "This connection has closed.");
        }

        return handle;
    }

    private async Task DropHandleAsync(ConnectionMedia media, long handle)
    {
        media.Remove(handle);
        _awaitingMedia.TryRemove(handle, out _);
        await _janus.DetachAsync(handle);
    }

    private MediaHandle Own(string connectionId, long handleId, bool? publisher)
    {
        // A client can only touch the handles the hub made for this very connection.
        var handle = _connections.TryGetValue(connectionId, out var media) ? media.Get(handleId) : null;
        if (handle is null || publisher is { } p && handle.Publisher != p)
        {
            throw ExchangeProblem.NotFound("stream_not_found", "That video stream has ended; it starts again by itself.");
        }

        return handle;
    }

    /// <summary>
    /// This connection's handles. A call still running when its connection closed must not make a new
    /// entry that nothing will ever clean up: a closed connection's id is refused for a while.
    /// </summary>
    private ConnectionMedia Media(string connectionId) =>
        _closed.ContainsKey(connectionId)
            ? throw ExchangeProblem.NotFound("stream_not_found", "This connection has closed.")
            : _connections.GetOrAdd(connectionId, _ => new ConnectionMedia());

    private readonly ConcurrentDictionary<string, long> _closed = new();

    private void OnHandleEvent(long handle, JsonObject e)
    {
        var kind = (string?)e["janus"];
        if (kind == "webrtcup" && _awaitingMedia.TryRemove(handle, out var pending))
        {
            // Viewers can subscribe once Janus receives the media, not before (Janus refuses with 428).
            _ = Task.Run(async () =>
            {
                try
                {
                    var replaced = await _stage.RecordFeedAsync(pending.Caller, pending.Kind, pending.FeedId, pending.Lines, pending.ConnectionId);
                    if (replaced is { } old)
                    {
                        await KickAsync(pending.Caller.SessionId, [old]);
                    }
                }
                catch (Exception error)
                {
                    // Not recorded (taken off stage meanwhile, the session ended, the database away):
                    // nobody may watch it, so it must not stay on air in Janus either.
                    _logger.LogWarning("Recording feed {Feed} failed ({Reason}); ending it.", pending.FeedId, error.Message);
                    if (_connections.TryGetValue(pending.ConnectionId, out var media))
                    {
                        media.Remove(handle);
                    }

                    await _janus.DetachAsync(handle);
                }
            });
        }
    }

    private async Task OnJanusLostAsync()
    {
        _connections.Clear();
        _awaitingMedia.Clear();
        _rooms.Clear();
        await _stage.InterruptInstanceAsync();
    }

    private void RequireConfigured()
    {
        if (!_options.Configured)
        {
            throw ExchangeProblem.Conflict("video_not_configured", "Video is not configured on this server.");
        }
    }

    private static string RequireSdp(string? sdp) => sdp is { Length: > 0 and <= MaxSdpLength } && sdp.StartsWith("v=0", StringComparison.Ordinal)
        ? sdp
        : throw ExchangeProblem.BadRequest("validation", "That is not a session description.");

    private static string RequireQuality(string? quality, bool allowAudio) => quality switch
    {
        WatchQualities.Auto or WatchQualities.Low => quality,
        WatchQualities.AudioOnly when allowAudio => quality,
        _ => throw ExchangeProblem.BadRequest("validation", "Quality must be auto, low or audio."),
    };

    private sealed record PendingFeed(ExchangeCaller Caller, string Kind, long FeedId, MediaLines Lines, string ConnectionId);

    private sealed record MediaHandle(long Handle, bool Publisher, string Kind, long FeedId, long SessionId, string? VideoMid);

    private sealed class ConnectionMedia
    {
        private readonly Dictionary<long, MediaHandle?> _handles = [];

        public int Count
        {
            get
            {
                lock (_handles)
                {
                    return _handles.Count;
                }
            }
        }

        private bool _closed;

        /// <summary>False (and nothing kept) once the connection has closed.</summary>
        public bool Set(long handle, MediaHandle? info)
        {
            lock (_handles)
            {
                if (_closed)
                {
                    return false;
                }

                _handles[handle] = info;
                return true;
            }
        }

        /// <summary>Closes for good and returns every handle, with details or not.</summary>
        public long[] Close()
        {
            lock (_handles)
            {
                _closed = true;
                var all = _handles.Keys.ToArray();
                _handles.Clear();
                return all;
            }
        }

        public MediaHandle? Get(long handle)
        {
            lock (_handles)
            {
                return _handles.GetValueOrDefault(handle);
            }
        }

        public void Remove(long handle)
        {
            lock (_handles)
            {
                _handles.Remove(handle);
            }
        }

        public MediaHandle? Find(Func<MediaHandle, bool> match)
        {
            lock (_handles)
            {
                return _handles.Values.OfType<MediaHandle>().FirstOrDefault(match);
            }
        }

        public MediaHandle[] All()
        {
            lock (_handles)
            {
                return _handles.Values.OfType<MediaHandle>().ToArray();
            }
        }
    }
}

/// <summary>The mids of a publisher's sound and picture, read from its offer.</summary>
public sealed record MediaLines(string? AudioMid, string? VideoMid)
{
    public static MediaLines Parse(string sdp)
    {
        string? audio = null, video = null, section = null;
        foreach (var raw in sdp.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("m=", StringComparison.Ordinal))
            {
                section = line[2..].Split(' ')[0];
            }
            else if (line.StartsWith("a=mid:", StringComparison.Ordinal) && !line.Contains("a=inactive"))
            {
                var mid = line[6..].Trim();
                if (section == "audio")
                {
                    audio ??= mid;
                }
                else if (section == "video")
                {
                    video ??= mid;
                }
            }
        }

        return new MediaLines(audio, video);
    }
}
