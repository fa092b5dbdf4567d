using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveExchange.Bench;
using LiveExchange.Hub.Attendance;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace LiveExchange.Tests.Hardening;

/// <summary>The hub on SQLite with a low connection cap, logging into the test.</summary>
public sealed class HardenedApp : IAsyncLifetime
{
    public const int ConnectionsPerParticipant = 3;

    public string File { get; } = TestServers.NewSqliteFile();

    public ExchangeApp App { get; private set; } = null!;

    public Task InitializeAsync()
    {
        App = new ExchangeApp(new()
        {
            ["ConnectionStrings:Sqlite"] = $"Data Source={File}",
            ["Attendance:ConnectionsPerParticipant"] = ConnectionsPerParticipant.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestServers.DeleteSqliteFile(File);
    }
}

/// <summary>Issue 7's attacks and hygiene findings, each tried again as the attacker did.</summary>
public sealed class HardeningTests(HardenedApp hardened) : IClassFixture<HardenedApp>
{
    private readonly Api _api = new(hardened.App.BaseAddress);

    [Fact]
    public async Task Text_that_is_not_text_is_refused_and_the_rest_is_normalised()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var anyone = _api.Client();
        async Task<HttpResponseMessage> Join(string name) => await anyone.PostAsJsonAsync("/api/join",
            new { code = session.Code, agencyId = invited[0].Id, displayName = name, headcount = 1 });

        // NUL, other control characters and bidi overrides or isolates: refused, with a clear code.
        foreach (var name in new[] { "李\u0000华", "\u0007bell", "\u202Egnp.exe", "王\u2066芳\u2069", "\u001b[31mred" })
        {
            await Api.AssertProblemAsync(await Join(name), HttpStatusCode.BadRequest, "not_text");
        }

        // Only zero-width characters: nothing to see, so nothing was given.
        await Api.AssertProblemAsync(await Join("\u200B\u200C\u200D\uFEFF"), HttpStatusCode.BadRequest, "validation");

        // Tabs and newlines in a name become spaces; decomposed characters are composed (NFC).
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, " 张\t伟\nCafe\u0301 ");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        await using var host = await LiveClient.ConnectAsync(_api.BaseAddress, session.HostToken);
        await viewer.InvokeAsync<MyStage>(nameof(IExchangeHub.RaiseHand), true);
        var hands = await host.WaitForAsync<HandsState>(h => h.Raised.Count == 1);
        Assert.Equal("张 伟 Café", hands.Raised[0].DisplayName);

        // Questions: the same refusals over the hub, line breaks kept, runs of blank lines squeezed.
        var bad = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "why\u0000?", (string?)null, false));
        Assert.Contains("[not_text]", bad.Message);
        var bidi = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "\u202Etxt.exe", (string?)null, false));
        Assert.Contains("[not_text]", bidi.Message);
        var empty = await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "\u200B \u200B", (string?)null, false));
        Assert.Contains("[question_empty]", empty.Message);
        var asked = await viewer.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), "第一行\r\n\r\n\r\n\r\n第二行  ", (string?)null, false);
        Assert.Equal("第一行\n\n第二行", asked.Text);

        // A time zone that names a directory on Linux ("Asia"), or a path, is the caller's error, not a 500.
        using var organiser = _api.Organiser();
        foreach (var zone in new[] { "Asia", "../../etc/passwd", "Asia/", "Nowhere/Land" })
        {
            var scheduled = await organiser.PostAsJsonAsync("/api/sessions", new
            {
                title = "t", hostAgencyId = session.HostAgency.Id, invitedAgencyIds = Array.Empty<long>(),
                startsAt = "2030-03-16T14:00", endsAt = "2030-03-16T16:00", timeZone = zone,
            });
            await Api.AssertProblemAsync(scheduled, HttpStatusCode.BadRequest, "unknown_time_zone");
        }

        // A name that hides a formula behind a zero-width character is defused in the CSV too.
        var sly = await _api.JoinAsync(session.Code, invited[1].Id, "\u200B=HYPERLINK(\"http://x\")");
        await using (await LiveClient.ConnectAsync(_api.BaseAddress, sly.ParticipantToken))
        {
        }

        var csv = await organiser.GetStringAsync($"/api/sessions/{session.Id}/attendance.csv?lang=en");
        Assert.Contains("'\u200B=HYPERLINK", csv);
    }

    [Fact]
    public async Task A_forged_forwarded_for_counts_only_from_a_trusted_proxy()
    {
        // Five joins a minute per address; the test client is 127.0.0.1.
        async Task<int> JoinsAcceptedAsync(string trustedProxies)
        {
            var file = TestServers.NewSqliteFile();
            try
            {
                await using var app = new ExchangeApp(new()
                {
                    ["ConnectionStrings:Sqlite"] = $"Data Source={file}",
                    ["Joining:PerMinutePerAddress"] = "5",
                    ["Proxy:TrustedProxies"] = trustedProxies,
                });
                var api = new Api(app.BaseAddress);
                var (session, invited) = await api.ScheduleAsync();
                var accepted = 0;
                for (var i = 0; i < 12; i++)
                {
                    using var http = api.Client();
                    http.DefaultRequestHeaders.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
                    var response = await http.PostAsJsonAsync("/api/join",
                        new { code = session.Code, agencyId = invited[0].Id, displayName = $"v{i}", headcount = 1, consentVersion = 1 });
                    accepted += response.IsSuccessStatusCode ? 1 : 0;
                }

                return accepted;
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                TestServers.DeleteSqliteFile(file);
            }
        }

        // Reaching the instance directly, not through the configured proxy: the header is ignored.
        Assert.Equal(5, await JoinsAcceptedAsync("10.9.9.9"));
        // Through the trusted proxy (loopback here) each forwarded address has its own limit.
        Assert.Equal(12, await JoinsAcceptedAsync("127.0.0.1"));
    }

    [Fact]
    public async Task Pages_and_api_responses_carry_the_security_headers()
    {
        using var anyone = _api.Client();
        foreach (var path in new[] { "/", "/viewer.html", "/api/join/ABCDEF" })
        {
            using var response = await anyone.GetAsync(path);
            var csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.DoesNotContain("unsafe-eval'", csp.Replace("'wasm-unsafe-eval'", ""));
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_sqlite_file_holding_keys_and_tokens_is_readable_by_its_owner_only()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(hardened.File));
    }

    [Fact]
    public async Task A_link_holds_a_few_connections_and_its_call_budget_is_shared_by_them()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "刘洋");
        var open = new List<LiveClient>();
        try
        {
            for (var i = 0; i < HardenedApp.ConnectionsPerParticipant; i++)
            {
                open.Add(await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken));
            }

            // One more is closed at once, with a reason the page can show.
            Assert.Contains("[too_many_connections]", await LiveClient.RefusalAsync(_api.BaseAddress, joined.ParticipantToken));

            // The budget is the participant's: three connections calling at once get one burst between them.
            var results = await Task.WhenAll(open.SelectMany(c => Enumerable.Range(0, 15).Select(async _ =>
            {
                try
                {
                    await c.InvokeAsync<SlidesState>(nameof(IExchangeHub.GetSlides));
                    return true;
                }
                catch (HubException e) when (e.Message.Contains("[rate_limited]"))
                {
                    return false;
                }
            })));
            var accepted = results.Count(ok => ok);
            Assert.True(accepted < 30, $"{accepted} of 45 calls accepted; one participant's burst is 20 (plus refill)");
            Assert.Contains(false, results);

            // Closing a screen frees its place, once the server has seen it go: the client's close returns
            // before the hub has run its disconnect and closed the attendance interval the cap counts.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            using (var organiser = _api.Organiser())
            {
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while ((await organiser.GetFromJsonAsync<ParticipantAttendance[]>($"/api/sessions/{session.Id}/attendance", Api.Json))!
                    .Single().Connections != HardenedApp.ConnectionsPerParticipant - 1)
                {
                    Assert.True(DateTime.UtcNow < deadline, "the closed connection is still counted after 10 s");
                    await Task.Delay(50);
                }
            }

            open.Add(await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken));
        }
        finally
        {
            foreach (var c in open)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_hub_speaks_websockets_only_so_a_connection_id_cannot_be_borrowed()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[0].Id, "周杰");

        using var http = _api.Client(joined.ParticipantToken);
        var negotiate = await http.PostAsync($"{ExchangeHubRoute.Path}/negotiate?negotiateVersion=1", null);
        negotiate.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await negotiate.Content.ReadAsStringAsync());
        var transports = json.RootElement.GetProperty("availableTransports").EnumerateArray()
            .Select(t => t.GetProperty("transport").GetString()).ToArray();
        Assert.Equal("WebSockets", Assert.Single(transports));

        // A long-polling request on that connection's token, with another participant's token (the
        // attack: a leaked id used by someone else), is refused outright.
        var token = json.RootElement.GetProperty("connectionToken").GetString();
        var other = await _api.JoinAsync(session.Code, invited[1].Id, "吴敏");
        using var borrower = _api.Client(other.ParticipantToken);
        var poll = await borrower.GetAsync($"{ExchangeHubRoute.Path}?id={token}");
        Assert.False(poll.IsSuccessStatusCode, $"long polling answered {(int)poll.StatusCode}");

        foreach (var transport in new[] { HttpTransportType.LongPolling, HttpTransportType.ServerSentEvents })
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(_api.BaseAddress, ExchangeHubRoute.Path), transport,
                    o => o.AccessTokenProvider = () => Task.FromResult<string?>(joined.ParticipantToken))
                .Build();
            await Assert.ThrowsAnyAsync<Exception>(() => connection.StartAsync());
            await connection.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_refused_hub_call_is_one_short_log_line_not_an_error_with_a_stack()
    {
        var (session, invited) = await _api.ScheduleAsync();
        var joined = await _api.JoinAsync(session.Code, invited[2].Id, "郑爽");
        await using var viewer = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
        var before = hardened.App.Logs.Lines.Count;
        for (var i = 0; i < 40; i++)
        {
            await Assert.ThrowsAsync<HubException>(() => viewer.InvokeAsync<PageChanged>(nameof(IExchangeHub.GoToPage), 2));
        }

        var lines = hardened.App.Logs.Lines.Skip(before).ToArray();
        Assert.DoesNotContain(lines, l => l.Level >= LogLevel.Error);
        Assert.DoesNotContain(lines, l => l.Exception is not null);
        var refusals = lines.Where(l => l.Message.Contains("refused", StringComparison.Ordinal)).ToArray();
        Assert.True(refusals.Length >= 40, $"{refusals.Length} refusal lines");
        Assert.Contains(refusals, l => l.Message.Contains("host_only", StringComparison.Ordinal));
        Assert.True(lines.Sum(l => l.Bytes) < 40 * 300, $"{lines.Sum(l => l.Bytes)} bytes logged for 40 refusals");
    }

    [Fact]
    public async Task Demo_takes_no_value_so_urls_after_it_is_kept()
    {
        var file = TestServers.NewSqliteFile();
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        try
        {
            await using var hub = await HubProcess.StartAsync("demo",
                new Dictionary<string, string> { ["ConnectionStrings:Sqlite"] = $"Data Source={file}" },
                arguments: ["--demo", "--urls", $"http://127.0.0.1:{port}"]);
            Assert.Equal(port, hub.BaseAddress.Port);
            using var http = new HttpClient { BaseAddress = hub.BaseAddress };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/join/ZJXT23")).StatusCode);
        }
        finally
        {
            TestServers.DeleteSqliteFile(file);
        }
    }
}
