using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Demo;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Sessions;
using LiveExchange.Shared;
using Npgsql;

namespace LiveExchange.Bench;

/// <summary>
/// K hub instances on one fresh PostgreSQL database and one Redis (each run its own database and
/// channel prefix), or K bare relay hubs or K Socket.IO relays on the same Redis, plus the HTTP calls a scenario needs.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly HttpClient[] _http;

    private readonly bool _ownsDatabase;

    private Cluster(IReadOnlyList<HubProcess> processes, IReadOnlyList<Uri> urls, string? database, string organiserKey, bool ownsDatabase = true)
    {
        (Processes, Urls, Database, OrganiserKey, _ownsDatabase) = (processes, urls, database, organiserKey, ownsDatabase);
        _http = urls.Select(u => new HttpClient { BaseAddress = u, Timeout = TimeSpan.FromSeconds(120) }).ToArray();
    }

    public IReadOnlyList<HubProcess> Processes { get; }

    public IReadOnlyList<Uri> Urls { get; }

    public string? Database { get; }

    public string OrganiserKey { get; }

    public Uri Url(int i) => Urls[i % Urls.Count];

    public HttpClient Http(int i) => _http[i % _http.Length];

    public static async Task<Cluster> StartOursAsync(BenchSettings s, IReadOnlyDictionary<string, string>? extra = null)
    {
        if (s.Urls.Count > 0)
        {
            // Running hubs: --postgres is their database, read for the joinstorm and votestorm checks.
            return new Cluster([], s.Urls, s.Postgres.Length > 0 ? s.Postgres : null, s.OrganiserKey!, ownsDatabase: false);
        }

        var name = "lx_bench_" + Guid.NewGuid().ToString("N")[..10];
        await using (var admin = new NpgsqlConnection(s.Postgres))
        {
            await admin.ExecuteAsync($"create database {name}");
        }

        var database = new NpgsqlConnectionStringBuilder(s.Postgres) { Database = name, MaxPoolSize = 20 }.ToString();
        var key = "bench-organiser-key-" + Guid.NewGuid().ToString("N");
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = new NpgsqlConnectionStringBuilder(s.Postgres) { Database = name }.ToString(),
            ["ConnectionStrings:Redis"] = s.Redis,
            ["Realtime:ChannelPrefix"] = "bench-" + Guid.NewGuid().ToString("N"),
            ["Organiser:Key"] = key,
            // Screens join from offices of 20 (OfficeAddress); the generator itself is a proxy they come through.
            ["Proxy:TrustedProxies"] = "127.0.0.1",
            // Runs rejoin the same offices within a minute (warm-up, then the storm).
            ["Joining:PerMinutePerAddress"] = "10000000",
            // A margin only: with --urls, hubs that do not trust the generator as a proxy see every join from
            // its one address, and are the operator's to configure.
            ["Joining:ParticipantsPerAddress"] = "10000000",
            ["Questions:VotesPerAgency"] = "10000000",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }

        var processes = await StartAllAsync(s.Instances, i => HubProcess.StartAsync($"hub{i + 1}", settings));
        return new Cluster(processes, processes.Select(p => p.BaseAddress).ToArray(), database, key);
    }

    public static async Task<Cluster> StartBareAsync(BenchSettings s)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = s.Redis,
            ["Realtime:ChannelPrefix"] = "bench-bare-" + Guid.NewGuid().ToString("N"),
        };
        var processes = await StartAllAsync(s.Instances, i => HubProcess.StartAsync($"bare{i + 1}", settings, HubProcess.BareHub));
        return new Cluster(processes, processes.Select(p => p.BaseAddress).ToArray(), null, "");
    }

    /// <summary>K Socket.IO relays (bench/socketio-relay) on the same Redis through its adapter, each run its own key prefix.</summary>
    public static async Task<Cluster> StartSocketIoAsync(BenchSettings s)
    {
        var prefix = "bench-sio-" + Guid.NewGuid().ToString("N");
        var processes = await StartAllAsync(s.Instances, i => HubProcess.StartSocketIoRelayAsync($"socketio{i + 1}", s.Redis, prefix));
        return new Cluster(processes, processes.Select(p => p.BaseAddress).ToArray(), null, "");
    }

    /// <summary>An organiser schedules a session with one host agency and one invited agency, and the host uploads a deck.</summary>
    public async Task<(SessionScheduled Session, long AgencyId)> ScheduleAsync(int deckPages)
    {
        var http = Http(0);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OrganiserKey);
        var host = await PostAsync<Agency>(http, "/api/agencies", new { name = "益家乐社会工作服务中心", city = "镇江", province = "江苏" });
        var remote = await PostAsync<Agency>(http, "/api/agencies", new { name = "邢台市益襄社会工作服务中心", city = "邢台", province = "河北" });
        var session = await PostAsync<SessionScheduled>(http, "/api/sessions", new
        {
            title = "bench",
            description = "",
            hostAgencyId = host.Id,
            invitedAgencyIds = new[] { remote.Id },
            startsAt = LocalTime(DateTimeOffset.UtcNow.AddMinutes(-30)),
            endsAt = LocalTime(DateTimeOffset.UtcNow.AddHours(3)),
            timeZone = "Asia/Shanghai",
        });
        http.DefaultRequestHeaders.Authorization = null;

        if (deckPages > 0)
        {
            using var upload = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{session.Id}/deck")
            {
                Content = new MultipartFormDataContent { { new ByteArrayContent(DemoSession.SampleDeck(deckPages)), "file", "bench.pdf" } },
            };
            upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.HostToken);
            (await http.SendAsync(upload)).EnsureSuccessStatusCode();
        }

        return (session, remote.Id);
    }

    public async Task<string> JoinAsync(int i, SessionScheduled session, long agencyId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/join")
        {
            Content = JsonContent.Create(new { code = session.Code, agencyId, displayName = $"viewer {i}", headcount = 1 + (i % 5), consentVersion = 1 }),
        };
        request.Headers.Add("X-Forwarded-For", OfficeAddress(i));
        var response = await Http(i).SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<Joined>(ct))!.ParticipantToken;
    }

    /// <summary>
    /// Where screen i joins from, as its hub sees it (through X-Forwarded-For, loopback being a trusted
    /// proxy): offices of <see cref="ScreensPerOffice"/> screens behind one address each, as agencies are,
    /// rather than thousands from one address, which no real session has.
    /// </summary>
    public static string OfficeAddress(int i)
    {
        var office = i / ScreensPerOffice;
        return $"10.{(office >> 16) & 255}.{(office >> 8) & 255}.{office & 255}";
    }

    public const int ScreensPerOffice = 20;

    public async Task<long> CountAsync(string sql, object args)
    {
        _ = Database ?? throw new InvalidOperationException("Pass --postgres (the hubs' database) to check the database with --urls.");
        await using var connection = new NpgsqlConnection(Database);
        return await connection.ExecuteScalarAsync<long>(sql, args);
    }

    public async Task<(long Id, long Votes)[]> QueryPairsAsync(string sql, object args)
    {
        _ = Database ?? throw new InvalidOperationException("Pass --postgres (the hubs' database) to check the database with --urls.");
        await using var connection = new NpgsqlConnection(Database);
        return (await connection.QueryAsync<(long, long)>(sql, args)).ToArray();
    }

    public long[] ResidentBytes() => Processes.Select(p => p.ResidentBytes()).ToArray();

    public TimeSpan[] CpuTimes() => Processes.Select(p => p.CpuTime()).ToArray();

    public async ValueTask DisposeAsync()
    {
        foreach (var http in _http)
        {
            http.Dispose();
        }

        foreach (var p in Processes)
        {
            await p.DisposeAsync();
        }

        if (Database is not null && _ownsDatabase)
        {
            NpgsqlConnection.ClearAllPools();
            var csb = new NpgsqlConnectionStringBuilder(Database);
            var name = csb.Database;
            csb.Database = "postgres";
            await using var admin = new NpgsqlConnection(csb.ToString());
            await admin.ExecuteAsync($"drop database if exists {name} with (force)");
        }
    }

    private static async Task<HubProcess[]> StartAllAsync(int count, Func<int, Task<HubProcess>> start)
    {
        var started = await Task.WhenAll(Enumerable.Range(0, count).Select(start));
        return started;
    }

    private static async Task<T> PostAsync<T>(HttpClient http, string path, object body)
    {
        var response = await http.PostAsJsonAsync(path, body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<T>())!;
    }

    /// <summary>A moment as the organiser types it for a session in Asia/Shanghai ("2026-12-01T14:00").</summary>
    public static string LocalTime(DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"))
            .ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}
