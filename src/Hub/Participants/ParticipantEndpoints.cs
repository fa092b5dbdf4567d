using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Questions;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Participants;

/// <summary>One participant as the organiser sees it: enough to spot stuffing (many from one address, many questions).</summary>
public sealed record ParticipantEntry(
    long Id,
    string Role,
    long AgencyId,
    string AgencyName,
    string DisplayName,
    int Headcount,
    string? JoinedFrom,
    int ParticipantsFromAddress,
    int Questions,
    int Votes,
    bool Removed);

/// <summary>
/// The organiser's view of who joined, and the remedy for abuse: removing a participant takes its
/// questions and votes away (everyone's list updates), stops its token, and closes its screens.
/// </summary>
public static class ParticipantEndpoints
{
    private const string SelectParticipants = """
        select p.id, p.role, p.agency_id as AgencyId, a.name as AgencyName, p.display_name as DisplayName, cast(p.headcount as bigint) as Headcount,
               p.joined_from as JoinedFrom,
               (select count(*) from participants o where o.session_id = p.session_id and o.joined_from = p.joined_from) as ParticipantsFromAddress,
               (select count(*) from questions q where q.participant_id = p.id) as Questions,
               (select count(*) from question_votes v where v.participant_id = p.id) as Votes,
               cast(case when p.removed_at_ms is null then 0 else 1 end as bigint) as Removed
        from participants p join agencies a on a.id = p.agency_id
        where p.session_id = @id
        order by p.id
        """;

    private const string MarkRemoved = """
        update participants set removed_at_ms = @now
        where id = @participantId and session_id = @id and role = 'viewer' and removed_at_ms is null
        """;

    private const string DeleteVotesBy = "delete from question_votes where participant_id = @participantId";

    private const string DeleteVotesOn = """
        delete from question_votes where question_id in (select id from questions where participant_id = @participantId)
        """;

    private const string DeleteQuestions = "delete from questions where participant_id = @participantId";

    private const string UnpinTheirs = """
        update sessions set pinned_question_id = null
        where id = @id and pinned_question_id in (select q.id from questions q where q.participant_id = @participantId)
        """;

    private const string CloseIntervals = """
        update attendance_intervals set left_at_ms = @now where participant_id = @participantId and left_at_ms is null
        """;

    public static IEndpointRouteBuilder MapParticipants(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sessions/{id:long}/participants").RequireAuthorization(ExchangePolicies.Organiser);
        group.MapGet("/", ListAsync);
        group.MapDelete("/{participantId:long}", RemoveAsync);
        return app;
    }

    private static async Task<Ok<ParticipantEntry[]>> ListAsync(long id, Database database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await SessionGate.LoadAsync(connection, id); // session_not_found for an unknown id

        var rows = await connection.QueryAsync<ParticipantRow>(SelectParticipants, new { id });
        return TypedResults.Ok(rows.Select(r => new ParticipantEntry(r.Id, r.Role, r.AgencyId, r.AgencyName, r.DisplayName,
            (int)r.Headcount, r.JoinedFrom, (int)r.ParticipantsFromAddress, (int)r.Questions, (int)r.Votes, r.Removed != 0)).ToArray());
    }

    // A class, not a positional record: on SQLite the computed columns have no type, and with no rows at all
    // Dapper could not match a constructor (a session nobody had joined answered 500).
    private sealed class ParticipantRow
    {
        public long Id { get; init; }
        public string Role { get; init; } = "";
        public long AgencyId { get; init; }
        public string AgencyName { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public long Headcount { get; init; }
        public string? JoinedFrom { get; init; }
        public long ParticipantsFromAddress { get; init; }
        public long Questions { get; init; }
        public long Votes { get; init; }
        public long Removed { get; init; }
    }

    private static async Task<NoContent> RemoveAsync(long id, long participantId, LiveChanges changes, SessionGate gate,
        Stage.StageBoard stage, Video.MediaRelay media, Polls.PollFanout polls, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        long[] answered = [];
        // The moderation stream first, as every question change takes it (one lock order), then the
        // questions stream and the vote sequence: the removed votes change counts.
        var (questions, moderation, removedQuestions) = await changes.CommitAsync(id, ModerationStreams.Moderation, async (connection, tx, moderationVersion) =>
        {
            var version = await LiveChanges.BumpAsync(connection, tx, id, LiveStreams.Questions);
            if (await connection.ExecuteAsync(MarkRemoved, new { id, participantId, now }, tx) == 0)
            {
                throw ExchangeProblem.NotFound("participant_not_found", "That participant is not in this session (or was removed already).");
            }

            var args = new { participantId, now };
            await connection.ExecuteAsync(DeleteVotesBy, args, tx);
            await connection.ExecuteAsync(DeleteVotesOn, args, tx);
            await connection.ExecuteAsync(UnpinTheirs, new { id, participantId }, tx);
            var deleted = await connection.ExecuteAsync(DeleteQuestions, args, tx);
            await connection.ExecuteAsync(CloseIntervals, args, tx);
            // Its poll answers stop counting (the tally leaves removed participants out); the bump makes
            // the results without them newer than those with them.
            await connection.ExecuteAsync(Polls.PollTally.BumpRemovedAnswers, new { id, participantId }, tx);
            answered = (await connection.QueryAsync<long>(Polls.PollTally.SelectOpenAnswered, new { id, participantId }, tx)).ToArray();
            var voteSequence = await LiveChanges.BumpAsync(connection, tx, id, ModerationStreams.Votes);
            var rows = await connection.QueryAsync<QuestionRow>(
                SessionSnapshots.SelectQuestions + " where q.session_id = @id and q.status in ('live', 'answered') order by votes desc, q.id", new { id }, tx);
            var settings = await connection.QuerySingleAsync<ModerationRow>(QuestionBoard.SelectSettings, new { sessionId = id }, tx);
            // Sent to everyone, so without anyone's own votes: each page keeps its own, minus the removed questions.
            return (new QuestionsState(version, rows.Select(q => q.ToPublicView()).ToArray(), [], null, settings.PinnedQuestionId, voteSequence,
                    settings.QuestionsNeedApproval != 0),
                await QuestionBoard.ModerationAsync(connection, tx, id, moderationVersion), deleted);
        }, (clients, result) => clients.ModerationChanged(result.Item2), Audience.Moderators(id), ct);
        // The moderation stream is ordered per group (LiveChanges.OrderedStreams): its version goes with the
        // moderators' message above; the session's list is the questions stream, sent on its own.
        await changes.PublishAsync(Audience.Session(id), clients => clients.QuestionsChanged(questions));
        foreach (var pollId in answered)
        {
            polls.Changed(id, pollId);
        }

        gate.Forget(participantId);
        // Off stage too, its video stopped: a removed screen must not stay on every viewer's screen.
        try
        {
            var feeds = await stage.TakeOffStageAsync(new ExchangeCaller(id, 0, ParticipantRoles.Host, 0), participantId);
            await media.KickAsync(id, feeds);
        }
        catch (ExchangeProblem e) when (e.Code == "not_on_stage")
        {
        }

        await changes.PublishAsync(Audience.Participant(participantId),
            client => client.SessionEnded(new SessionEnded(id, "removed", clock.GetUtcNow())));
        loggers.CreateLogger(typeof(ParticipantEndpoints)).LogInformation(
            "Organiser removed participant {ParticipantId} of session {SessionId} and its {Questions} questions.", participantId, id, removedQuestions);
        return TypedResults.NoContent();
    }
}
