using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Attendance;

public static class AttendanceEndpoints
{
    private const string SelectSession = "select code, time_zone as TimeZone from sessions where id = @id";

    private const string SelectRooms = """
        select participant_id, name from room_members where session_id = @id and removed_at_ms is null order by participant_id, added_at_ms, id
        """;

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
        var participants = await AttendanceReport.LoadAsync(connection, id, clock.GetUtcNow(), TimeSpan.FromSeconds(options.Value.InstanceTimeoutSeconds));
        // Who is in front of each screen now (room rosters), so the organiser sees late arrivals as they come.
        var rooms = (await connection.QueryAsync<(long ParticipantId, string Name)>(SelectRooms, new { id }))
            .ToLookup(r => r.ParticipantId, r => r.Name);
        return TypedResults.Ok(participants.Select(p => rooms.Contains(p.ParticipantId) ? p with { Room = rooms[p.ParticipantId].ToArray() } : p).ToArray());
    }

    private static async Task<(string Code, string TimeZone)> FindAsync(System.Data.Common.DbConnection connection, long id) =>
        await connection.QuerySingleOrDefaultAsync<(string Code, string TimeZone)?>(SelectSession, new { id })
            ?? throw ExchangeProblem.NotFound("session_not_found", "No such session.");
}
