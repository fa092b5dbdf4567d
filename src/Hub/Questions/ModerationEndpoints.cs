using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Questions;

/// <summary>The organiser's moderation setting: do questions wait for a moderator's approval?</summary>
public static class ModerationEndpoints
{
    private const string SetApproval = "update sessions set questions_need_approval = @value where id = @id";

    public static IEndpointRouteBuilder MapModeration(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/sessions/{id:long}/moderation", SetAsync).RequireAuthorization(ExchangePolicies.Organiser);
        return app;
    }

    /// <summary>
    /// Turning approval off leaves waiting questions waiting: a moderator still decides on them. The
    /// change goes out to moderators on the moderation stream; viewers' pages read it on their next snapshot.
    /// </summary>
    private static async Task<Ok<ModerationSettings>> SetAsync(long id, ModerationSettings? body, LiveChanges changes, Storage.Database database,
        CancellationToken ct)
    {
        if (body is null)
        {
            throw ExchangeProblem.BadRequest("validation", "Send {\"questionsNeedApproval\": true or false}.");
        }

        await using (var connection = await database.OpenAsync(ct))
        {
            await SessionGate.LoadAsync(connection, id); // session_not_found for an unknown id
        }

        var moderation = await changes.CommitAsync(id, ModerationStreams.Moderation, async (connection, tx, version) =>
        {
            await connection.ExecuteAsync(SetApproval, new { id, value = body.QuestionsNeedApproval ? 1L : 0L }, tx);
            return await QuestionBoard.ModerationAsync(connection, tx, id, version);
        }, (clients, state) => clients.ModerationChanged(state), Audience.Moderators(id), ct);
        return TypedResults.Ok(new ModerationSettings(moderation.QuestionsNeedApproval));
    }
}
