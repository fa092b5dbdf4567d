using LiveExchange.Shared;
using Microsoft.AspNetCore.SignalR;
using StackExchange.Redis;

namespace LiveExchange.BareHub;

/// <summary>
/// The least a hub can do for a slide change: relay it to a group. No authentication, no database,
/// no version. The benchmark runs the same fan-out through this and through the real hub, on the
/// same WebSocket transport and the same Redis backplane, and reports the ratio.
/// (An explicit Main, not top-level statements, so its Program does not clash with the Hub's in tests.)
/// </summary>
internal static class BareHubProgram
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Both protocols, as ours offers: the bench's --protocol picks the one its viewers speak.
        var signalR = builder.Services.AddSignalR().AddMessagePackProtocol();
        if (builder.Configuration.GetConnectionString("Redis") is { Length: > 0 } redis)
        {
            var prefix = builder.Configuration["Realtime:ChannelPrefix"] is { Length: > 0 } p ? p : "bare";
            signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = RedisChannel.Literal(prefix));
        }

        var app = builder.Build();
        app.MapHub<BareHub>("/hubs/bare");
        app.Run();
    }
}

internal sealed class BareHub : Hub
{
    public Task Join(string group) => Groups.AddToGroupAsync(Context.ConnectionId, group);

    public Task Relay(string group, PageChanged change) => Clients.Group(group).SendAsync(nameof(IExchangeClient.PageChanged), change);
}
