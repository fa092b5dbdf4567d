using LiveExchange.Hub.Problems;
using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;

namespace LiveExchange.Hub.Live;

/// <summary>Names this process in attendance rows, so an interval shows which instance served it.</summary>
public sealed record HubInstance(string Id);

public static class RealtimeExtensions
{
    /// <summary>Prefix of every Redis key and channel this app uses.</summary>
    public const string RedisPrefix = "liveexchange";

    public static WebApplicationBuilder AddRealtime(this WebApplicationBuilder builder)
    {
        var instanceId = builder.Configuration["Hub:InstanceId"];
        builder.Services.AddSingleton(new HubInstance(
            string.IsNullOrWhiteSpace(instanceId) ? $"{Environment.MachineName}:{Environment.ProcessId}" : instanceId));

        // The problem filter is outermost, so a refusal by the rate filter becomes a HubException too.
        var signalR = builder.Services.AddSignalR(o =>
        {
            o.AddFilter<ExchangeProblemHubFilter>();
            o.AddFilter<HubCallRateFilter>();
        });
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (!string.IsNullOrWhiteSpace(redis))
        {
            // One multiplexer for the backplane and anything else that later needs Redis.
            // Deployments (or test runs) that share one Redis keep apart by prefix: group names repeat across databases.
            // The prefix must be on the multiplexer itself: with a ConnectionFactory, SignalR never
            // looks at its own options' configuration.
            var options = ConfigurationOptions.Parse(redis);
            options.ChannelPrefix = RedisChannel.Literal(
                builder.Configuration["Realtime:ChannelPrefix"] is { Length: > 0 } p ? p : RedisPrefix);
            options.AbortOnConnectFail = false; // A Redis that is briefly away must not stop the hub starting.
            var multiplexer = ConnectionMultiplexer.Connect(options);
            builder.Services.AddSingleton<IConnectionMultiplexer>(multiplexer);
            signalR.AddStackExchangeRedis(o => o.ConnectionFactory = _ => Task.FromResult<IConnectionMultiplexer>(multiplexer));
        }

        builder.Services.AddSingleton<ExchangeProblemHubFilter>();
        builder.Services.AddSingleton<HubCallRateFilter>();
        // The features the hub hands its calls to.
        builder.Services.AddSingleton<SessionSnapshots>();
        builder.Services.AddSingleton<Attendance.AttendanceLedger>();
        builder.Services.AddSingleton<Slides.SlideState>();
        builder.Services.AddSingleton<Questions.QuestionBoard>();
        builder.Services.AddSingleton<Questions.VoteFanout>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Questions.VoteFanout>());
        builder.Services.AddOptions<Attendance.AttendanceOptions>().BindConfiguration("Attendance")
            .Validate(o => o.InstanceTimeoutSeconds is >= 2 and <= 3600, "Attendance:InstanceTimeoutSeconds must be between 2 and 3600.")
            .ValidateOnStart();
        builder.Services.AddHostedService<Attendance.InstanceHeartbeat>();
        return builder;
    }
}
