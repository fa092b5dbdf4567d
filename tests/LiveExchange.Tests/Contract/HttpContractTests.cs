using System.Net.Http.Json;
using System.Text.Json;
using LiveExchange.Hub.ApiDescription;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Questions;
using LiveExchange.Hub.Sessions;
using LiveExchange.Tests.Infrastructure;
using LiveExchange.Tests.Scenarios;

namespace LiveExchange.Tests.Contract;

/// <summary>
/// The HTTP contract the browser builds on: the OpenAPI document its types are generated from, and the
/// limits its forms show.
/// </summary>
public sealed class HttpContractTests(SqliteAppFixture fixture) : IClassFixture<SqliteAppFixture>
{
    private readonly Api _api = new(fixture.App.BaseAddress);

    [Fact]
    public async Task The_document_the_browser_types_come_from_is_the_one_the_server_serves()
    {
        using var http = _api.Client();
        using var served = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        // Written by the build (Microsoft.Extensions.ApiDescription.Server), read by `npm run api`.
        using var built = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(TestServers.RepoRoot, "src/Hub/obj/openapi/LiveExchange.Hub.json")));

        static string[] Paths(JsonDocument d) => d.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).Order().ToArray();
        static string[] Schemas(JsonDocument d) =>
            d.RootElement.GetProperty("components").GetProperty("schemas").EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(Paths(built), Paths(served));
        Assert.Equal(Schemas(built), Schemas(served));
        Assert.Contains("/api/sessions/{id}/agenda", Paths(served));
        Assert.Contains("/api/limits", Paths(served));

        // Ids are numbers, never "integer or string" (the web default would allow "5").
        var id = served.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("SessionScheduled")
            .GetProperty("properties").GetProperty("id");
        Assert.Equal("integer", id.GetProperty("type").GetString());
        var required = served.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("SessionScheduled")
            .GetProperty("required").EnumerateArray().Select(r => r.GetString());
        Assert.Contains("agenda", required);

        // The generated types are not committed: they come from this document on every build.
        Assert.Contains("src/Web/src/generated/", await File.ReadAllTextAsync(Path.Combine(TestServers.RepoRoot, ".gitignore")));
    }

    [Fact]
    public async Task Forms_take_their_limits_from_the_server_not_from_copies()
    {
        using var http = _api.Client();
        var limits = (await http.GetFromJsonAsync<Limits>("/api/limits", Api.Json))!;
        Assert.Equal(QuestionBoard.TextMax, limits.QuestionMax);
        Assert.Equal(JoinEndpoints.DisplayNameMax, limits.DisplayNameMax);
        Assert.Equal(JoinEndpoints.HeadcountMax, limits.HeadcountMax);
        Assert.Equal(SessionEndpoints.TitleMax, limits.SessionTitleMax);
        Assert.Equal(SessionEndpoints.AgendaMax, limits.AgendaPartsMax);
        Assert.Equal(ExchangeBehaviour.TestDeckLimit, limits.DeckMaxBytes); // A setting, as configured.

        // The pages as served name the limit they need and carry no number of their own.
        foreach (var page in new[] { "/", "/viewer.html", "/organiser.html", "/feedback.html" })
        {
            var html = await http.GetStringAsync(page);
            Assert.Contains("data-limit=\"", html);
            Assert.DoesNotContain("maxlength=", html);
        }

        // A number sent as a string is refused, as the document says.
        var response = await http.PostAsync("/api/join", new StringContent(
            """{"code":"ABCDEF","agencyId":"1","displayName":"x","headcount":1,"participantToken":null}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }
}
