using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using LiveExchange.Hub.Demo;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace LiveExchange.Tests.Browser;

/// <summary>
/// A viewer on a bad network: a link that stalls, a link that is cut and comes back, and a first load at
/// 500 kbit/s. Times are printed, never asserted: they depend on the machine.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class NetworkInBrowserTests(BrowserFixture fixture, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    private readonly Api _api = new(fixture.BaseAddress);

    [Fact]
    public async Task A_stalled_link_says_reconnecting_within_10_s_and_a_question_asked_meanwhile_does_not_hang()
    {
        var (session, invited) = await _api.ScheduleAsync("停滞测试");
        await _api.UploadDeckAsync(session, DemoSession.SampleDeck(3));
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        var (page, link, context) = await OpenViewerAsync(session.Code, joined.ParticipantToken);
        await using var _ = context;
        var status = page.Locator("#connection-status");
        var askButton = page.Locator("#ask-question");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "connected");
        await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1");

        // Nothing moves either way; the socket stays open, as on a link that stalls rather than breaks.
        link.Stall();
        var clock = Stopwatch.StartNew();
        await page.Locator("#question-text").FillAsync("停滞的时候提的问题");
        await askButton.ClickAsync();
        await Assertions.Expect(askButton).ToHaveAttributeAsync("data-i18n", "ask.sending");

        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "reconnecting", new() { Timeout = 10_000 });
        var detected = clock.Elapsed;
        await Assertions.Expect(askButton).ToHaveAttributeAsync("data-i18n", "ask.submit");
        await Assertions.Expect(askButton).ToBeEnabledAsync();
        var settled = clock.Elapsed;
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("连接在服务器答复前中断");
        await Assertions.Expect(page.Locator("#retry-now")).ToBeVisibleAsync();
        Assert.True(detected < TimeSpan.FromSeconds(10), $"reconnecting shown {detected.TotalSeconds:F1} s after the stall");

        link.Flow();
        var resumed = Stopwatch.StartNew();
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "connected", new() { Timeout = 15_000 });
        var reconnected = resumed.Elapsed;
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#retry-now")).ToBeHiddenAsync();
        output.WriteLine($"stall: reconnecting shown after {detected.TotalSeconds:F1} s, the pending question settled after {settled.TotalSeconds:F1} s; connected {reconnected.TotalSeconds:F1} s after traffic flowed again");

        // The question never reached the server: it is still in the box, and sending it again works.
        await Assertions.Expect(page.Locator("#question-text")).ToHaveValueAsync("停滞的时候提的问题");
        await askButton.ClickAsync();
        await Assertions.Expect(page.Locator("#questions .question-text")).ToHaveTextAsync("停滞的时候提的问题");
        await Assertions.Expect(page.Locator("#question-text")).ToHaveValueAsync("");
    }

    [Fact]
    public async Task A_cut_link_is_connected_again_within_5_s_of_its_return_on_the_current_page_with_the_draft()
    {
        var (session, invited) = await _api.ScheduleAsync("断网测试");
        await _api.UploadDeckAsync(session, DemoSession.SampleDeck(5));
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");
        var asker = await _api.JoinAsync(session.Code, invited[1].Id, "赵敏");
        await using var askerClient = await LiveClient.ConnectAsync(_api.BaseAddress, asker.ParticipantToken);
        var (page, link, context) = await OpenViewerAsync(session.Code, joined.ParticipantToken);
        await using var _ = context;
        var status = page.Locator("#connection-status");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "connected");
        await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1");
        await page.Locator("#question-text").FillAsync("断网时写了一半的问题");

        // A hard cut: the socket closes and new ones are refused for long enough that the page has gone
        // through its quick first attempts and waits the longest it ever waits between two.
        link.Cut();
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "reconnecting");
        await Assertions.Expect(page.Locator("#retry-now")).ToBeVisibleAsync();
        await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 3);
        await askerClient.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "断网期间别人提的问题", (string?)null, false);
        await link.RefusedAtLeastAsync(5, TimeSpan.FromSeconds(30));

        link.Flow();
        var restored = Stopwatch.StartNew();
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "connected", new() { Timeout = 5_000 });
        var backoff = restored.Elapsed;
        await Assertions.Expect(page.Locator("#page-indicator")).ToHaveAttributeAsync("data-page", "3");
        await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "3");
        await Assertions.Expect(page.Locator("#questions .question-text")).ToHaveTextAsync("断网期间别人提的问题");
        await Assertions.Expect(page.Locator("#question-text")).ToHaveValueAsync("断网时写了一半的问题");
        await Assertions.Expect(page.Locator("#retry-now")).ToBeHiddenAsync();

        // The browser says it is offline, then online again: the page tries at once, not at its next turn.
        await context.SetOfflineAsync(true);
        link.Cut();
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "reconnecting");
        await host.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 4);
        link.Flow();
        await context.SetOfflineAsync(false);
        restored.Restart();
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "connected", new() { Timeout = 5_000 });
        var online = restored.Elapsed;
        await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "4");
        output.WriteLine($"cut: connected {backoff.TotalSeconds:F1} s after the link came back ({link.Refused} sockets refused meanwhile), {online.TotalSeconds:F1} s after the browser's online event");

        // A reload keeps the unsent text too.
        await page.ReloadAsync();
        await Assertions.Expect(status).ToHaveAttributeAsync("data-status", "connected");
        await Assertions.Expect(page.Locator("#question-text")).ToHaveValueAsync("断网时写了一半的问题");
        await Assertions.Expect(page.Locator("#page-indicator")).ToHaveAttributeAsync("data-page", "4");
    }

    [Fact]
    public async Task First_load_at_500_kbit_is_compressed_and_draws_the_first_slide()
    {
        var (session, invited) = await _api.ScheduleAsync("弱网首屏");
        await _api.UploadDeckAsync(session, DemoSession.SampleDeck(5));
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "李华");

        await using var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        await RememberParticipant(context, session.Code, joined.ParticipantToken);
        var page = await context.NewPageAsync();
        // Playwright's own request events also see the pdf.js worker's script, which a CDP session on the
        // page does not (the worker is a target of its own).
        var finished = new ConcurrentQueue<IRequest>();
        page.RequestFinished += (_, request) => finished.Enqueue(request);
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.setCacheDisabled", new() { ["cacheDisabled"] = true });
        await cdp.SendAsync("Network.emulateNetworkConditions", new()
        {
            ["offline"] = false,
            ["latency"] = 100,
            ["downloadThroughput"] = 500_000 / 8,
            ["uploadThroughput"] = 500_000 / 8,
        });

        var clock = Stopwatch.StartNew();
        await page.GotoAsync(ViewerUrl(session.Code), new() { WaitUntil = WaitUntilState.Commit, Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "connected", new() { Timeout = 120_000 });
        var connected = clock.Elapsed;
        await Assertions.Expect(page.Locator("#slide-canvas")).ToHaveAttributeAsync("data-rendered-page", "1", new() { Timeout = 120_000 });
        var firstSlide = clock.Elapsed;

        var files = new List<(string Path, string Encoding, long Bytes)>();
        foreach (var request in finished)
        {
            var sizes = await request.SizesAsync();
            var response = await request.ResponseAsync();
            var headers = response is null ? new Dictionary<string, string>() : await response.AllHeadersAsync();
            // Playwright has no body size for the worker's script; a static file's Content-Length is the
            // same figure (the encoded length when it is served compressed).
            var body = sizes.ResponseBodySize > 0 ? sizes.ResponseBodySize
                : long.TryParse(headers.GetValueOrDefault("content-length"), out var length) ? length : 0;
            files.Add((new Uri(request.Url).PathAndQuery, headers.GetValueOrDefault("content-encoding", ""), sizes.ResponseHeadersSize + body));
        }

        var total = files.Sum(f => f.Bytes);
        output.WriteLine($"500 kbit/s, 100 ms: connected after {connected.TotalSeconds:F1} s, first slide drawn after {firstSlide.TotalSeconds:F1} s, {total / 1024.0:F0} KB transferred in {files.Count} responses");
        foreach (var (path, encoding, bytes) in files.OrderByDescending(f => f.Bytes))
        {
            output.WriteLine($"  {bytes / 1024.0,8:F1} KB  {encoding,-4} {path}");
        }

        var scripts = files.Where(f => Regex.IsMatch(f.Path, @"^/assets/.+\.m?js$")).ToArray();
        Assert.Contains(scripts, s => s.Path.Contains("pdf.worker", StringComparison.Ordinal));
        Assert.All(scripts, s => Assert.Equal("br", s.Encoding));
        Assert.True(total < 900 * 1024, $"{total} bytes transferred before the first slide");
    }

    [Fact]
    public async Task The_hub_answers_with_the_precompressed_file_the_browser_accepts()
    {
        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.None }) { BaseAddress = _api.BaseAddress };
        async Task<HttpResponseMessage> Get(string path, string? acceptEncoding, Action<HttpRequestMessage>? more = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (acceptEncoding is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
            }

            more?.Invoke(request);
            return await http.SendAsync(request);
        }

        var plain = await Get("/viewer.html", null);
        var page = await plain.Content.ReadAsStringAsync();
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", plain.Headers.Vary);
        var script = Regex.Match(page, "/assets/viewer-[^\"]+\\.js").Value;
        Assert.NotEmpty(script);

        var br = await Get(script, "gzip, deflate, br, zstd");
        Assert.Equal(["br"], br.Content.Headers.ContentEncoding);
        Assert.Equal("text/javascript", br.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Accept-Encoding", br.Headers.Vary);
        var gzip = await Get(script, "gzip, br;q=0");
        Assert.Equal(["gzip"], gzip.Content.Headers.ContentEncoding);
        var identity = await Get(script, "identity");
        Assert.Empty(identity.Content.Headers.ContentEncoding);
        Assert.True((await br.Content.ReadAsByteArrayAsync()).Length < (await identity.Content.ReadAsByteArrayAsync()).Length);

        // Each encoding is its own representation: its own ETag, its own ranges.
        Assert.NotEqual(br.Headers.ETag, identity.Headers.ETag);
        var notModified = await Get(script, "br", r => r.Headers.IfNoneMatch.Add(br.Headers.ETag!));
        Assert.Equal(System.Net.HttpStatusCode.NotModified, notModified.StatusCode);
        var range = await Get(script, "br", r => r.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9));
        Assert.Equal(System.Net.HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(["br"], range.Content.Headers.ContentEncoding);
        Assert.Equal(10, (await range.Content.ReadAsByteArrayAsync()).Length);

        // The API is not touched.
        var api = await Get("/api/sessions/XXXXXX", "br");
        Assert.Empty(api.Content.Headers.ContentEncoding);
    }

    [Fact]
    public async Task A_link_the_server_does_not_accept_is_said_so_after_one_attempt_not_retried()
    {
        // The page opens the hub's WebSocket without negotiating, and a browser does not tell a page why a
        // socket was refused: the page must still tell a refused link from a network that is down.
        var (session, _) = await _api.ScheduleAsync("失效链接");
        var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        await using var __ = context;
        var key = "lx.participant." + session.Code;

        // A viewer token this server never made (its database was reset, say): the viewer page forgets it
        // and goes back to the join page for the same code, after one attempt.
        var viewer = await context.NewPageAsync();
        var sockets = 0;
        viewer.WebSocket += (_, _) => Interlocked.Increment(ref sockets);
        await viewer.GotoAsync(new Uri(_api.BaseAddress, $"/?code={session.Code}").ToString());
        await viewer.EvaluateAsync("([key, token]) => localStorage.setItem(key, token)", new[] { key, "not-a-token-of-this-server" });
        await viewer.GotoAsync(ViewerUrl(session.Code));
        await viewer.WaitForURLAsync(new Regex(Regex.Escape($"/?code={session.Code}") + "$"));
        Assert.Null(await viewer.EvaluateAsync<string?>("key => localStorage.getItem(key)", key));
        Assert.Equal(1, Volatile.Read(ref sockets));

        // The presenter view opened with a wrong host link says why, and stops trying.
        var presenter = await context.NewPageAsync();
        var presenterSockets = 0;
        presenter.WebSocket += (_, _) => Interlocked.Increment(ref presenterSockets);
        await presenter.GotoAsync(new Uri(_api.BaseAddress, "/presenter.html#token=not-a-host-link").ToString());
        await Assertions.Expect(presenter.Locator("#error")).ToContainTextAsync("链接无效或已过期");
        await Assertions.Expect(presenter.Locator("#connection-status")).ToHaveAttributeAsync("data-status", "disconnected");
        await presenter.WaitForTimeoutAsync(4_000); // past the first two retry delays (0, 1 and 2 s)
        Assert.Equal(1, Volatile.Read(ref presenterSockets));
    }

    private async Task<(IPage Page, HubLink Link, IBrowserContext Context)> OpenViewerAsync(string code, string token)
    {
        var context = await fixture.Browser.NewContextAsync(new() { Locale = "zh-CN" });
        await RememberParticipant(context, code, token);
        var page = await context.NewPageAsync();
        var link = new HubLink();
        await link.AttachAsync(page);
        await page.GotoAsync(ViewerUrl(code));
        return (page, link, context);
    }

    private string ViewerUrl(string code) => new Uri(_api.BaseAddress, $"/viewer.html?code={code}").ToString();

    private static Task RememberParticipant(IBrowserContext context, string code, string token) =>
        context.AddInitScriptAsync($"localStorage.setItem({JsonSerializer.Serialize("lx.participant." + code)}, {JsonSerializer.Serialize(token)});");

    /// <summary>
    /// The page's hub WebSocket through a switch: traffic flows; or stalls (the sockets stay open, frames
    /// are held and delivered when it flows again, as TCP would); or is cut (sockets closed, new ones refused).
    /// </summary>
    private sealed class HubLink
    {
        private readonly Lock _gate = new();
        private readonly List<Socket> _sockets = [];
        private bool _stalled;
        private bool _cut;
        private int _refused;

        public int Refused => Volatile.Read(ref _refused);

        public async Task AttachAsync(IPage page)
        {
            // While cut, the page's connection attempts (a WebSocket each: the page does not negotiate) are
            // refused, as by a network that is down; a socket opened just before is closed.
            await page.RouteWebSocketAsync(new Regex(Regex.Escape(ExchangeHubRoute.Path)), Attach);
        }

        private void Attach(IWebSocketRoute page)
        {
            lock (_gate)
            {
                if (_cut)
                {
                    Interlocked.Increment(ref _refused);
                    _ = page.CloseAsync(new() { Code = 1001, Reason = "cut" });
                    return;
                }

                var socket = new Socket(page, page.ConnectToServer(), _stalled);
                _sockets.Add(socket);
            }
        }

        public void Stall()
        {
            lock (_gate)
            {
                _stalled = true;
                _sockets.ForEach(s => s.Hold());
            }
        }

        public void Cut()
        {
            lock (_gate)
            {
                _cut = true;
                _sockets.ForEach(s => s.Close());
                _sockets.Clear();
            }
        }

        public void Flow()
        {
            lock (_gate)
            {
                _stalled = false;
                _cut = false;
                _sockets.ForEach(s => s.Release());
            }
        }

        public async Task RefusedAtLeastAsync(int count, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (Refused < count)
            {
                Assert.True(clock.Elapsed < timeout, $"only {Refused} of {count} reconnection attempts in {timeout.TotalSeconds} s");
                await Task.Delay(50);
            }
        }

        private sealed class Socket
        {
            private readonly Lock _gate = new();
            private readonly IWebSocketRoute _page;
            private readonly IWebSocketRoute _server;
            private readonly Queue<(bool ToServer, IWebSocketFrame Frame)> _held = new();
            private bool _holding;
            private bool _closed;

            public Socket(IWebSocketRoute page, IWebSocketRoute server, bool holding)
            {
                (_page, _server, _holding) = (page, server, holding);
                page.OnMessage(frame => Pass(toServer: true, frame));
                server.OnMessage(frame => Pass(toServer: false, frame));
                // A side that closes takes the other with it; frames still held are lost with the socket.
                page.OnClose((_, _) => Close());
                server.OnClose((_, _) => Close());
            }

            public void Hold()
            {
                lock (_gate)
                {
                    _holding = true;
                }
            }

            public void Release()
            {
                lock (_gate)
                {
                    _holding = false;
                    while (!_closed && _held.TryDequeue(out var held))
                    {
                        Send(held.ToServer, held.Frame);
                    }
                }
            }

            public void Close()
            {
                lock (_gate)
                {
                    if (_closed)
                    {
                        return;
                    }

                    _closed = true;
                    _held.Clear();
                }

                _ = _page.CloseAsync(new() { Code = 1001, Reason = "cut" }).ContinueWith(t => t.Exception, TaskScheduler.Default);
                _ = _server.CloseAsync().ContinueWith(t => t.Exception, TaskScheduler.Default);
            }

            private void Pass(bool toServer, IWebSocketFrame frame)
            {
                lock (_gate)
                {
                    if (_closed)
                    {
                        return;
                    }

                    if (_holding)
                    {
                        _held.Enqueue((toServer, frame));
                        return;
                    }

                    Send(toServer, frame);
                }
            }

            private void Send(bool toServer, IWebSocketFrame frame)
            {
                var target = toServer ? _server : _page;
                if (frame.Text is { } text)
                {
                    target.Send(text);
                }
                else
                {
                    target.Send(frame.Binary!);
                }
            }
        }
    }
}
