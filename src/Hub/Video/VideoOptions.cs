using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using LiveExchange.Hub.Live;
using LiveExchange.Shared;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Video;

/// <summary>
/// The media server and how browsers reach it. With no <see cref="JanusUrl"/>, video is off and the
/// pages say so; slides and Q&amp;A work as before.
/// </summary>
public sealed class VideoOptions
{
    /// <summary>Janus's HTTP API (e.g. http://janus:8088/janus). Only the hub talks to it; never expose it to browsers.</summary>
    public string JanusUrl { get; set; } = "";

    /// <summary>Janus's api_secret: without it Janus refuses every request, so a browser cannot use Janus behind the hub's back.</summary>
    public string ApiSecret { get; set; } = "";

    /// <summary>Secret and PIN of the rooms the hub creates (defence in depth behind the API secret).</summary>
    public string RoomSecret { get; set; } = "";

    /// <summary>Agencies on stage at once, besides the host.</summary>
    public int MaxOnStage { get; set; } = 2;

    /// <summary>STUN/TURN servers handed to browsers as they are.</summary>
    public List<IceServerOptions> IceServers { get; set; } = [];

    /// <summary>coturn's static-auth-secret: with it, each participant gets TURN credentials of its own, valid for <see cref="TurnTtlHours"/>.</summary>
    public string TurnSecret { get; set; } = "";

    public List<string> TurnUrls { get; set; } = [];

    public int TurnTtlHours { get; set; } = 12;

    public bool Configured => JanusUrl.Length > 0;

    public static void Validate(OptionsBuilder<VideoOptions> options) => options
        .Validate(o => !o.Configured || Uri.TryCreate(o.JanusUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
            "Video:JanusUrl must be an http(s) URL such as http://127.0.0.1:8088/janus.")
        .Validate(o => !o.Configured || o.ApiSecret.Length >= 12, "Video:ApiSecret (Janus's api_secret) must be at least 12 characters when Video:JanusUrl is set.")
        .Validate(o => !o.Configured || o.RoomSecret.Length >= 12, "Video:RoomSecret must be at least 12 characters when Video:JanusUrl is set.")
        .Validate(o => o.MaxOnStage is >= 1 and <= 6, "Video:MaxOnStage must be between 1 and 6.")
        .Validate(o => o.TurnSecret.Length == 0 || o.TurnUrls.Count > 0, "Video:TurnUrls must list the TURN server's URLs when Video:TurnSecret is set.")
        .Validate(o => o.TurnTtlHours is >= 1 and <= 48, "Video:TurnTtlHours must be between 1 and 48.")
        .ValidateOnStart();
}

public sealed class IceServerOptions
{
    public List<string> Urls { get; set; } = [];

    public string? Username { get; set; }

    public string? Credential { get; set; }
}

/// <summary>What each browser is told about video: whether it is on, and the ICE servers with its own TURN credentials.</summary>
public sealed class VideoSettingsSource(IOptions<VideoOptions> options, TimeProvider clock, RealtimeNames names)
{
    public VideoSettings For(ExchangeCaller caller)
    {
        var o = options.Value;
        if (!o.Configured)
        {
            return new VideoSettings(false, [], o.MaxOnStage);
        }

        var servers = o.IceServers.Select(s => new IceServer(s.Urls, s.Username, s.Credential)).ToList();
        if (o.TurnSecret.Length > 0)
        {
            // The TURN REST API convention coturn checks with use-auth-secret: user "expiry:name",
            // password base64(HMAC-SHA1(secret, user)). Nothing to store, and it expires by itself.
            var expiry = clock.GetUtcNow().AddHours(o.TurnTtlHours).ToUnixTimeSeconds();
            var user = $"{expiry}:p{caller.ParticipantId}";
            var password = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(o.TurnSecret), Encoding.UTF8.GetBytes(user)));
            servers.Add(new IceServer(o.TurnUrls, user, password));
        }

        return new VideoSettings(true, servers, o.MaxOnStage);
    }

    /// <summary>
    /// The Janus room of a session. Deployments (and test runs) that share one Janus number their
    /// sessions from 1 alike, so the room id also carries a hash of the deployment's channel prefix.
    /// </summary>
    public long RoomOf(long sessionId) => RoomOf(names.ChannelPrefix, sessionId);

    public static long RoomOf(string channelPrefix, long sessionId) =>
        ((long)(XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(channelPrefix)) & 0xFFFFF) << 32) + sessionId;
}
