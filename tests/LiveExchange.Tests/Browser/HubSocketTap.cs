using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using LiveExchange.Shared;
using Microsoft.Playwright;

namespace LiveExchange.Tests.Browser;

/// <summary>
/// Sits on a page's hub WebSocket (Playwright's WebSocket routing): records the hub methods the page
/// invokes, and drops the first server message that <c>dropOnce</c> picks, once, passing everything else.
/// </summary>
public sealed partial class HubSocketTap
{
    private int _dropped;

    /// <summary>Hub methods the page invoked, in order.</summary>
    public ConcurrentQueue<string> Invoked { get; } = new();

    public bool Dropped => Volatile.Read(ref _dropped) == 1;

    /// <param name="dropOnce">Given one record of SignalR's JSON protocol (non-ASCII text arrives escaped).</param>
    public static async Task<HubSocketTap> AttachAsync(IPage page, Func<string, bool> dropOnce)
    {
        var tap = new HubSocketTap();
        await page.RouteWebSocketAsync(new Regex(Regex.Escape(ExchangeHubRoute.Path)), ws =>
        {
            var server = ws.ConnectToServer();
            ws.OnMessage(frame =>
            {
                foreach (Match m in InvocationTarget().Matches(frame.Text ?? ""))
                {
                    tap.Invoked.Enqueue(m.Groups[1].Value);
                }

                server.Send(frame.Text!);
            });
            server.OnMessage(frame =>
            {
                // Records end with 0x1E, several to a frame.
                var records = (frame.Text ?? "").Split('\u001e', StringSplitOptions.RemoveEmptyEntries)
                    .Where(r => !(dropOnce(r) && Interlocked.Exchange(ref tap._dropped, 1) == 0))
                    .ToArray();
                if (records.Length > 0)
                {
                    ws.Send(string.Concat(records.Select(r => r + "\u001e")));
                }
            });
        });
        return tap;
    }

    [GeneratedRegex("\"target\":\"([A-Za-z]+)\"")]
    private static partial Regex InvocationTarget();
}
