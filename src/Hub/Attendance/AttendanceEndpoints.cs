using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Attendance;

public static class AttendanceEndpoints
{
    private const string SelectSession = "select code, time_zone as TimeZone from sessions where id = @id";

    public static IEndpointRouteBuilder MapAttendance(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sessions/{id:long}").RequireAuthorization(ExchangePolicies.Organiser);
        group.MapGet("/attendance", ListAsync);
        return app;
    }

    private static async Task<Ok<ParticipantAttendance[]>> ListAsync(long id, Database database, TimeProvider clock, Microsoft.Extensions.Options.IOptions<AttendanceOptions> options, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await FindAsync(connection, id);
        return TypedResults.Ok(await AttendanceReport.LoadAsync(connection, id, clock.GetUtcNow(), TimeSpan.FromSeconds(options.Value.InstanceTimeoutSeconds)));
    }

    private static async Task<(string Code, string TimeZone)> FindAsync(System.Data.Common.DbConnection connection, long id) =>
        await connection.QuerySingleOrDefaultAsync<(string Code, string TimeZone)?>(SelectSession, new { id })
            ?? throw ExchangeProblem.NotFound("session_not_found", "No such session.");
}
