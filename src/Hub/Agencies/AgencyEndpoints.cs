using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Agencies;

public sealed record Agency(long Id, string Name, string City, string Province);

public sealed record NewAgency(string? Name, string? City, string? Province);

public static class AgencyEndpoints
{
    public const int NameMax = 100;
    public const int PlaceMax = 50;

    private const string SelectAll = "select id, name, city, province from agencies order by id";

    private const string Insert = """
        insert into agencies (name, city, province, created_at_ms)
        values (@name, @city, @province, @createdAtMs)
        returning id, name, city, province
        """;

    public static IEndpointRouteBuilder MapAgencies(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/agencies").RequireAuthorization(ExchangePolicies.Organiser);
        group.MapGet("/", ListAsync);
        group.MapPost("/", CreateAsync);
        return app;
    }

    private static async Task<Ok<Agency[]>> ListAsync(Database database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return TypedResults.Ok((await connection.QueryAsync<Agency>(SelectAll)).ToArray());
    }

    internal static async Task<Created<Agency>> CreateAsync(NewAgency body, Database database, TimeProvider clock, CancellationToken ct)
    {
        var name = Check.Text(body.Name, "name", NameMax);
        var city = Check.Text(body.City, "city", PlaceMax);
        var province = Check.Text(body.Province, "province", PlaceMax);
        await using var connection = await database.OpenAsync(ct);
        var agency = await connection.QuerySingleAsync<Agency>(Insert,
            new { name, city, province, createdAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds() });
        return TypedResults.Created((string?)null, agency);
    }
}
