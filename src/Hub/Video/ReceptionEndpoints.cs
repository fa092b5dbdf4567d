using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Video;

public static class ReceptionEndpoints
{
    private const string SessionExists = "select count(*) from sessions where id = @id";

    /// <summary>The organiser's view of who is receiving the video, per agency (hosts get it live over the hub).</summary>
    public static IEndpointRouteBuilder MapReception(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/sessions/{id:long}/reception", SummaryAsync).RequireAuthorization(ExchangePolicies.Organiser);
        return app;
    }

    private static async Task<Ok<ReceptionSummary>> SummaryAsync(long id, Database database, ReceptionBoard reception, CancellationToken ct)
    {
        await using (var connection = await database.OpenAsync(ct))
        {
            if (await connection.ExecuteScalarAsync<long>(SessionExists, new { id }) == 0)
            {
                throw ExchangeProblem.NotFound("session_not_found", "No such session.");
            }
        }

        return TypedResults.Ok(await reception.SummaryAsync(id, ct));
    }
}
