using LiveExchange.Hub.Problems;
using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;

namespace LiveExchange.Hub.Live;

/// <summary>Names this process in attendance rows, so an interval shows which instance served it.</summary>
public sealed record HubInstance(string Id);

/// <summary>This deployment's name on shared servers (Redis channels, Janus rooms).</summary>
public sealed record RealtimeNames(string ChannelPrefix);

public static class RealtimeExtensions
{
    /// <summary>Prefix of every Redis key and channel this app uses.</summary>
    public const string RedisPrefix = "liveexchange";

    public static WebApplicationBuilder AddRealtime(this WebApplicationBuilder builder)
    {
        var instanceId = builder.Configuration["Hub:InstanceId"];
        builder.Services.AddSingleton(new HubInstance(
            string.IsNullOrWhiteSpace(instanceId) ? $"{Environment.MachineName}:{Environment.ProcessId}" : instanceId));

        // Kestrel normally hands every socket read and write to its own I/O queues, a second thread-pool
        // hop per message on top of SignalR's own: a page change to 2,500 viewers is 2,500 such hops. Run
        // them inline instead, on the thread-pool thread that completed the socket operation or flushed
        // the output (socket completions themselves still arrive on the thread pool, so code that blocks
        // blocks no more than before). Realtime:InlineSockets=false restores Kestrel's default.
        // Measured in docs/decisions/0015-the-delivery-path.md.
        if (builder.Configuration.GetValue("Realtime:InlineSockets", true))
        {
            builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
        }

        // The telemetry filter is outermost, so every line the others log carries the caller's scope and
        // it counts a refusal as one. Then the problem filter, so a refusal by the rate filter becomes a
        // HubException too.
        var signalR = builder.Services.AddSignalR(o =>
        {
            // These go in pairs with the browser's HubConnection (src/Web/src/live.ts). We ping every 3 s and
            // the browser gives up after 8 s of silence (two pings lost), so a stalled link is noticed and
            // reported in under 10 s, not the default 30. The browser pings every 3 s; the client timeout stays
            // at 30 s because .NET clients (tools, tests) ping every 15 s by default and must not be dropped.
            o.KeepAliveInterval = TimeSpan.FromSeconds(3);
            o.ClientTimeoutInterval = TimeSpan.FromSeconds(30);
            // A full room roster (Rooms.RoomRoster: 100 people, names and job titles of 50 Chinese characters)
            // is about 34 KB of JSON, over the 32 KB default; a longer list still arrives and is refused with its code.
            o.MaximumReceiveMessageSize = 64 * 1024;
            o.AddFilter<Operations.HubTelemetryFilter>();
            o.AddFilter<ExchangeProblemHubFilter>();
            o.AddFilter<HubCallRateFilter>();
            o.AddFilter<SessionGateHubFilter>();
        });
        // .NET clients (tools, the benchmark) may speak MessagePack: smaller and cheaper to read than JSON.
        // The browser speaks JSON. A broadcast is serialised once per protocol in use, not per screen.
        signalR.AddMessagePackProtocol();
        builder.Services.AddSingleton<IUserIdProvider, ParticipantUserIds>();
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("Realtime:Outbox")
            .Validate(o => o.MaxBytes is >= 16 * 1024 and <= 256 * 1024 * 1024, "Realtime:Outbox:MaxBytes must be between 16384 and 268435456.")
            .Validate(o => o.StallSeconds is >= 1 and <= 600, "Realtime:Outbox:StallSeconds must be between 1 and 600.")
            .Validate(o => o.SocketSendBufferBytes is 0 or (>= 4096 and <= 16 * 1024 * 1024), "Realtime:Outbox:SocketSendBufferBytes must be 0 or between 4096 and 16777216.")
            .ValidateOnStart();
        var prefix = builder.Configuration["Realtime:ChannelPrefix"] is { Length: > 0 } p ? p : RedisPrefix;
        builder.Services.AddSingleton(new RealtimeNames(prefix));
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (!string.IsNullOrWhiteSpace(redis))
        {
            // One multiplexer for the backplane and anything else that later needs Redis.
            // Deployments (or test runs) that share one Redis keep apart by prefix: group names repeat across databases.
            // The prefix is on the multiplexer itself, so every channel and key of ours carries it.
            var options = ConfigurationOptions.Parse(redis);
            options.ChannelPrefix = RedisChannel.Literal(prefix);
            options.AbortOnConnectFail = false; // A Redis that is briefly away must not stop the hub starting.
            var multiplexer = ConnectionMultiplexer.Connect(options);
            builder.Services.AddSingleton<IConnectionMultiplexer>(multiplexer);
            // Our own backplane on this multiplexer: group sends reach this instance's screens without the Redis
            // round trip, and a join subscribes nothing (LocalFirstLifetimeManager, decision 0015).
            builder.Services.AddSingleton<HubLifetimeManager<ExchangeHub>>(sp => new LocalFirstLifetimeManager<ExchangeHub>(
                multiplexer, sp.GetRequiredService<IHubProtocolResolver>(),
                sp.GetRequiredService<HubInstance>(), sp.GetRequiredService<Operations.ExchangeMetrics>(),
                sp.GetRequiredService<ILogger<LocalFirstLifetimeManager<ExchangeHub>>>()));
            builder.Services.AddSingleton<BackplaneResync>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<BackplaneResync>());
        }

        builder.Services.AddSingleton<ExchangeProblemHubFilter>();
        builder.Services.AddSingleton<HubCallRateFilter>();
        builder.Services.AddSingleton<SessionGateHubFilter>();
        builder.Services.AddOptions<Sessions.SessionOptions>().BindConfiguration("Sessions")
            .Validate(o => o.JoinOpensMinutesBefore is >= 0 and <= 7 * 24 * 60, "Sessions:JoinOpensMinutesBefore must be between 0 and 10080.")
            .Validate(o => o.OverrunMinutes is >= 0 and <= 24 * 60, "Sessions:OverrunMinutes must be between 0 and 1440.")
            .Validate(o => o.CloseCheckSeconds is >= 1 and <= 600, "Sessions:CloseCheckSeconds must be between 1 and 600.")
            .ValidateOnStart();
        builder.Services.AddSingleton<Sessions.SessionGate>();
        builder.Services.AddSingleton<Sessions.SessionCloser>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Sessions.SessionCloser>());
        // The features the hub hands its calls to.
        builder.Services.AddSingleton<LiveChanges>();
        builder.Services.AddSingleton<LocalSessions>();
        builder.Services.AddSingleton<SessionSnapshots>();
        builder.Services.AddSingleton<Stage.StageBoard>();
        builder.Services.AddSingleton<Attendance.AttendanceLedger>();
        builder.Services.AddSingleton<Slides.SlideState>();
        builder.Services.AddSingleton<Questions.QuestionBoard>();
        builder.Services.AddSingleton<Questions.VoteFanout>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Questions.VoteFanout>());
        builder.Services.AddOptions<Attendance.AttendanceOptions>().BindConfiguration("Attendance")
            .Validate(o => o.InstanceTimeoutSeconds is >= 2 and <= 3600, "Attendance:InstanceTimeoutSeconds must be between 2 and 3600.")
            .Validate(o => o.ConnectionsPerParticipant is >= 1 and <= 1000, "Attendance:ConnectionsPerParticipant must be between 1 and 1000.")
            .ValidateOnStart();
        builder.Services.AddHostedService<Attendance.InstanceHeartbeat>();

        // Video: Janus as the SFU, the hub as its only client.
        Video.VideoOptions.Validate(builder.Services.AddOptions<Video.VideoOptions>().BindConfiguration("Video"));
        builder.Services.AddSingleton<Video.VideoSettingsSource>();
        builder.Services.AddSingleton<Video.JanusGateway>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Video.JanusGateway>());
        builder.Services.AddSingleton<Video.MediaRelay>();
        builder.Services.AddSingleton<Video.ReceptionBoard>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Video.ReceptionBoard>());

        // --- Reactions ---
        builder.Services.AddSingleton<Reactions.ReactionFanout>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Reactions.ReactionFanout>());
        return builder;
    }

    /// <summary>
    /// Maps the hub as MapHub would, with one addition: every connection's output goes through its own
    /// <see cref="ConnectionOutbox"/>, so no send ever waits for a slow client.
    /// </summary>
    public static void MapExchangeHub(this WebApplication app)
    {
        var outbox = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<OutboxOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILogger<ConnectionOutbox>>();
        var metrics = app.Services.GetRequiredService<Operations.ExchangeMetrics>();
        // WebSockets only. With long polling or server-sent events every request names its connection by
        // a token in the URL and SignalR takes the connection's user from the first request; a leaked
        // id, sent with any valid token, steered that connection (a viewer of another session acted as
        // a host). A WebSocket is one request, authenticated once, which the id cannot outlive.
        var dispatcher = new Microsoft.AspNetCore.Http.Connections.HttpConnectionDispatcherOptions
        {
            Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets,
        };
        app.MapConnections(ExchangeHubRoute.Path, dispatcher, connection =>
            {
                connection.Use(next => context => ConnectionOutbox.RunAsync(context, () => next(context), outbox, logger, metrics));
                connection.UseHub<ExchangeHub>();
            })
            .WithMetadata(new HubMetadata(typeof(ExchangeHub)))
            .RequireAuthorization(Access.ExchangePolicies.Participant);
    }
}
