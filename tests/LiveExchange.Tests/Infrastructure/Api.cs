using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Sessions;

namespace LiveExchange.Tests.Infrastructure;

/// <summary>What an organiser's, host's or viewer's program does over HTTP.</summary>
public sealed class Api(Uri baseAddress)
{
    public Uri BaseAddress { get; } = baseAddress;

    public HttpClient Client(string? token = null)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    public HttpClient Organiser() => Client(ExchangeApp.OrganiserKey);

    /// <summary>A host agency and three invited ones, and a session between them.</summary>
    /// <summary>Live now: it started half an hour ago and ends in three hours (Asia/Shanghai), unless told otherwise.</summary>
    public async Task<(SessionScheduled Session, Agency[] Invited)> ScheduleAsync(string title = "苏冀云牵手，社工e在线",
        DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null)
    {
        using var http = Organiser();
        var host = await PostAsync<Agency>(http, "/api/agencies", new { name = "益家乐社会工作服务中心", city = "镇江", province = "江苏" });
        var invited = new List<Agency>();
        foreach (var name in new[] { "邢台市益襄社会工作服务中心", "邢台市桥东区阳光社区服务社", "邢台市夕阳红为老服务社" })
        {
            invited.Add(await PostAsync<Agency>(http, "/api/agencies", new { name, city = "邢台", province = "河北" }));
        }

        var session = await PostAsync<SessionScheduled>(http, "/api/sessions", new
        {
            title,
            description = "社工如何参与社区疫情防控",
            hostAgencyId = host.Id,
            invitedAgencyIds = invited.Select(a => a.Id).ToArray(),
            startsAt = LiveExchange.Bench.Cluster.LocalTime(startsAt ?? DateTimeOffset.UtcNow.AddMinutes(-30)),
            endsAt = LiveExchange.Bench.Cluster.LocalTime(endsAt ?? DateTimeOffset.UtcNow.AddHours(3)),
            timeZone = "Asia/Shanghai",
        });
        return (session, invited.ToArray());
    }

    public async Task<Joined> JoinAsync(string code, long agencyId, string displayName, int headcount = 1, string? token = null)
    {
        using var http = Client();
        var consentVersion = await ConsentVersionAsync(code);
        return await PostAsync<Joined>(http, "/api/join", new { code, agencyId, displayName, headcount, participantToken = token, consentVersion });
    }

    /// <summary>The version of the session's consent notice now: what a join page shows and a join carries.</summary>
    public async Task<long> ConsentVersionAsync(string code)
    {
        using var http = Client();
        var notice = await http.GetFromJsonAsync<LiveExchange.Hub.Consent.ConsentNotice>($"/api/join/{Uri.EscapeDataString(code)}/notice", Json);
        return notice!.Version;
    }

    public async Task<HttpResponseMessage> UploadDeckAsync(SessionScheduled session, byte[] content, string fileName = "deck.pdf")
    {
        using var http = Client(session.HostToken);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
        form.Add(file, "file", fileName);
        return await http.PostAsync($"/api/sessions/{session.Id}/deck", form);
    }

    public static async Task<T> PostAsync<T>(HttpClient http, string path, object body)
    {
        var response = await http.PostAsJsonAsync(path, body);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync<T>(Json))!;
    }

    /// <summary>Asserts a ProblemDetails with the given status and code, and returns its title.</summary>
    public static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(code, json.RootElement.GetProperty("code").GetString());
        var title = json.RootElement.GetProperty("title").GetString();
        Assert.False(string.IsNullOrWhiteSpace(title));
        return title!;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
