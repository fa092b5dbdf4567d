using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Agencies;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using LiveExchange.Shared;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Feedback;

/// <summary>
/// The organiser's view of a session's form. <see cref="Locked"/>: a response exists, so the form can no
/// longer change. <see cref="Link"/>: the feedback page, relative (<c>/feedback.html?code=...</c>).
/// </summary>
public sealed record FeedbackForm(
    long SessionId,
    string Code,
    bool IsDefault,
    bool Locked,
    int Responses,
    string Link,
    FeedbackQuestion[] Questions,
    FeedbackWindow Window,
    FeedbackLimits Limits);

/// <summary>What the feedback page shows anyone with the code: the session, its agencies, the window and the form.</summary>
public sealed record FeedbackInvitation(
    long SessionId,
    string Code,
    string Title,
    Agency HostAgency,
    Agency[] InvitedAgencies,
    string TimeZone,
    FeedbackWindow Window,
    FeedbackQuestion[] Questions,
    FeedbackLimits Limits);

/// <summary>A local time in the session's time zone ("2020-03-23T18:00"), or null for the default (the end plus Feedback:OpenDays).</summary>
public sealed record FeedbackWindowChange(string? ClosesAt);

/// <summary>Someone answering from the feedback link without having joined: their agency, name and headcount.</summary>
/// <param name="ConsentVersion">The consent notice version shown (<c>/api/join/{code}/notice</c>), as a join carries it.</param>
public sealed record FeedbackRespondent(long AgencyId, string? DisplayName, int Headcount, long? ConsentVersion = null);

public sealed record FeedbackAnswerInput(int Question, int? Rating, int[]? Options, string? Text);

/// <summary>A response: the answers, and how many people it speaks for (default: the participant's headcount).</summary>
public sealed record FeedbackSubmission(int? SpeaksFor, FeedbackAnswerInput[]? Answers);

/// <summary>The caller's own feedback: who they are, the window, and their response if they gave one.</summary>
public sealed record MyFeedback(
    long SessionId,
    long ParticipantId,
    string AgencyName,
    string DisplayName,
    int Headcount,
    FeedbackWindow Window,
    FeedbackResponse? Response);

/// <summary>
/// Feedback after a session: the organiser sets the form and the window and reads results; each
/// participant (a screen that joined, or someone from the feedback link) gives one response, which it
/// may edit until feedback closes.
/// </summary>
public static class FeedbackEndpoints
{
    private const string CountResponses = "select count(*) from feedback_responses where session_id = @sessionId";

    private const string MarkFormSaved = "update feedback_settings set form_saved_at_ms = @now where session_id = @sessionId";

    private const string SetClosesAt = "update feedback_settings set closes_at_ms = @closesAtMs where session_id = @sessionId";

    private const string SelectParticipant = """
        select p.id, cast(p.headcount as bigint) as Headcount, p.display_name as DisplayName, ag.name as AgencyName,
               p.removed_at_ms as RemovedAtMs
        from participants p join agencies ag on ag.id = p.agency_id
        where p.id = @participantId
        """;

    private const string SelectResponse = """
        select id, speaks_for as SpeaksFor, submitted_at_ms as SubmittedAtMs, updated_at_ms as UpdatedAtMs
        from feedback_responses where participant_id = @participantId
        """;

    private const string InsertResponse = """
        insert into feedback_responses (session_id, participant_id, speaks_for, submitted_at_ms, updated_at_ms)
        values (@sessionId, @participantId, @speaksFor, @now, @now)
        returning id
        """;

    private const string UpdateResponse = "update feedback_responses set speaks_for = @speaksFor, updated_at_ms = @now where id = @id";

    private const string DeleteAnswers = "delete from feedback_answers where response_id = @id";

    private const string InsertAnswer = """
        insert into feedback_answers (response_id, question_id, option_id, rating, text)
        values (@responseId, @questionId, @optionId, @rating, @text)
        """;

    private sealed record ParticipantRow(long Id, long Headcount, string DisplayName, string AgencyName, long? RemovedAtMs);

    private sealed record ResponseRow(long Id, long SpeaksFor, long SubmittedAtMs, long UpdatedAtMs);

    private sealed record AnswerRow(long QuestionId, long? OptionId, long? Rating, string? Text);

    public static WebApplicationBuilder AddFeedback(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FeedbackOptions>()
            .BindConfiguration("Feedback")
            .Validate(o => o.OpenDays is >= 1 and <= 365, "Feedback:OpenDays must be between 1 and 365.")
            .ValidateOnStart();
        builder.Services.AddSingleton<FeedbackWindows>();
        return builder;
    }

    public static IEndpointRouteBuilder MapFeedback(this IEndpointRouteBuilder app)
    {
        var organiser = app.MapGroup("/api/sessions/{id:long}/feedback").RequireAuthorization(ExchangePolicies.Organiser);
        organiser.MapGet("/form", GetFormAsync);
        organiser.MapPut("/form", SaveFormAsync);
        organiser.MapPut("/window", SetWindowAsync);
        organiser.MapPost("/close", CloseAsync);
        organiser.MapGet("/results", ResultsAsync);
        organiser.MapGet("/responses", ResponsesAsync);

        var viewer = app.MapGroup("/api/sessions/{id:long}/feedback/response")
            .RequireAuthorization(p => p.RequireRole(ParticipantRoles.Viewer));
        viewer.MapGet("/", MineAsync);
        viewer.MapPost("/", SubmitAsync);
        viewer.MapPut("/", EditAsync);

        var anyone = app.MapGroup("/api/feedback/{code}").AllowAnonymous();
        anyone.MapGet("/", InvitationAsync).RequireRateLimiting(JoinEndpoints.LookupRateLimitPolicy);
        anyone.MapPost("/respondents", AddRespondentAsync).RequireRateLimiting(JoinEndpoints.RateLimitPolicy);
        return app;
    }

    // --- Organiser ---------------------------------------------------------------------------------

    private static async Task<Ok<FeedbackForm>> GetFormAsync(long id, Database database, FeedbackWindows windows, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return TypedResults.Ok(await DescribeFormAsync(connection, id, windows));
    }

    /// <summary>
    /// Replaces the form. Refused (409 feedback_form_locked) once a response exists: stored answers point
    /// at the questions and options they answered, and a changed form would make them answer another question.
    /// </summary>
    private static async Task<Ok<FeedbackForm>> SaveFormAsync(long id, FeedbackFormInput body, Database database, FeedbackWindows windows,
        CancellationToken ct)
    {
        var questions = FeedbackForms.Validate(body);
        await using var connection = await database.OpenAsync(ct);
        await windows.LoadSessionAsync(connection, id); // session_not_found before anything is written
        await using (var tx = await database.BeginWriteAsync(connection, ct))
        {
            await windows.TouchAsync(connection, id, tx);
            if (await connection.ExecuteScalarAsync<long>(CountResponses, new { sessionId = id }, tx) > 0)
            {
                throw ExchangeProblem.Conflict("feedback_form_locked",
                    "Responses have been given to this form, so it can no longer change (their answers belong to its questions).");
            }

            await FeedbackForms.ReplaceAsync(connection, id, questions, tx);
            await connection.ExecuteAsync(MarkFormSaved, new { sessionId = id, now = windows.NowMs }, tx);
            await tx.CommitAsync(ct);
        }

        return TypedResults.Ok(await DescribeFormAsync(connection, id, windows));
    }

    /// <summary>Sets when feedback closes (a local time in the session's zone), or back to the default with null.</summary>
    private static async Task<Ok<FeedbackWindow>> SetWindowAsync(long id, FeedbackWindowChange body, Database database, FeedbackWindows windows,
        CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var session = await windows.LoadSessionAsync(connection, id);
        long? closesAtMs = null;
        if (!string.IsNullOrWhiteSpace(body.ClosesAt))
        {
            closesAtMs = SessionEndpoints.LocalTime(body.ClosesAt, "closesAt", session.Zone).ToUnixTimeMilliseconds();
            if (closesAtMs <= session.StartsAtMs)
            {
                throw ExchangeProblem.BadRequest("validation", "closesAt must be after the session's start.");
            }
        }

        await using var tx = await database.BeginWriteAsync(connection, ct);
        await windows.TouchAsync(connection, id, tx);
        await connection.ExecuteAsync(SetClosesAt, new { sessionId = id, closesAtMs }, tx);
        var window = await windows.LoadAsync(connection, id, tx);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(window);
    }

    /// <summary>Closes feedback now (a window already closed keeps its closing time).</summary>
    private static async Task<Ok<FeedbackWindow>> CloseAsync(long id, Database database, FeedbackWindows windows, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await windows.LoadSessionAsync(connection, id);
        await using var tx = await database.BeginWriteAsync(connection, ct);
        await windows.TouchAsync(connection, id, tx);
        var window = await windows.LoadAsync(connection, id, tx);
        if (window.State != FeedbackWindowStates.Closed)
        {
            await connection.ExecuteAsync(SetClosesAt, new { sessionId = id, closesAtMs = windows.NowMs }, tx);
            window = await windows.LoadAsync(connection, id, tx);
        }

        await tx.CommitAsync(ct);
        return TypedResults.Ok(window);
    }

    private static async Task<Ok<FeedbackResults>> ResultsAsync(long id, Database database, FeedbackWindows windows, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return TypedResults.Ok(await FeedbackResults.LoadAsync(connection, id, windows));
    }

    private static async Task<Ok<FeedbackResponsesReport>> ResponsesAsync(long id, Database database, FeedbackWindows windows, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await windows.LoadSessionAsync(connection, id); // session_not_found
        return TypedResults.Ok(await FeedbackResponsesReport.LoadAsync(connection, id));
    }

    private static async Task<FeedbackForm> DescribeFormAsync(DbConnection connection, long id, FeedbackWindows windows)
    {
        var session = await windows.LoadSessionAsync(connection, id);
        var responses = await connection.ExecuteScalarAsync<long>(CountResponses, new { sessionId = id });
        return new FeedbackForm(id, session.Code, session.FormSavedAtMs is null, responses > 0, (int)responses,
            $"/feedback.html?code={session.Code}", await FeedbackForms.LoadAsync(connection, id), windows.WindowOf(session),
            FeedbackLimits.Current);
    }

    // --- The respondent (a viewer's participant token) ----------------------------------------------

    private static async Task<Ok<MyFeedback>> MineAsync(long id, HttpContext http, Database database, FeedbackWindows windows, CancellationToken ct)
    {
        var participantId = Caller(http, id);
        await using var connection = await database.OpenAsync(ct);
        var window = await windows.LoadAsync(connection, id);
        var participant = await ParticipantAsync(connection, participantId, null);
        var response = await connection.QuerySingleOrDefaultAsync<ResponseRow>(SelectResponse, new { participantId });
        return TypedResults.Ok(new MyFeedback(id, participantId, participant.AgencyName, participant.DisplayName, (int)participant.Headcount,
            window, response is null ? null : await DescribeResponseAsync(connection, response, participantId, null)));
    }

    private static async Task<Created<FeedbackResponse>> SubmitAsync(long id, FeedbackSubmission body, HttpContext http, Database database,
        FeedbackWindows windows, CancellationToken ct) =>
        TypedResults.Created((string?)null, await SaveResponseAsync(id, body, create: true, http, database, windows, ct));

    private static async Task<Ok<FeedbackResponse>> EditAsync(long id, FeedbackSubmission body, HttpContext http, Database database,
        FeedbackWindows windows, CancellationToken ct) =>
        TypedResults.Ok(await SaveResponseAsync(id, body, create: false, http, database, windows, ct));

    private static async Task<FeedbackResponse> SaveResponseAsync(long id, FeedbackSubmission body, bool create, HttpContext http,
        Database database, FeedbackWindows windows, CancellationToken ct)
    {
        var participantId = Caller(http, id);
        await using var connection = await database.OpenAsync(ct);
        await windows.LoadSessionAsync(connection, id); // session_not_found before anything is written
        await using var tx = await database.BeginWriteAsync(connection, ct);
        await windows.TouchAsync(connection, id, tx);
        FeedbackWindows.RequireOpen(await windows.LoadAsync(connection, id, tx));
        var participant = await ParticipantAsync(connection, participantId, tx);
        var existing = await connection.QuerySingleOrDefaultAsync<ResponseRow>(SelectResponse, new { participantId }, tx);
        if (create && existing is not null)
        {
            throw ExchangeProblem.Conflict("feedback_already_submitted",
                "This screen has already given its feedback; change it instead (PUT).");
        }

        if (!create && existing is null)
        {
            throw ExchangeProblem.NotFound("feedback_response_not_found", "This screen has not given feedback yet (POST it first).");
        }

        var form = await FeedbackForms.EnsureStoredAsync(connection, id, tx);
        var (speaksFor, answers) = Validate(body, form, participant.Headcount);
        var now = windows.NowMs;
        var responseId = existing?.Id ?? await connection.QuerySingleAsync<long>(InsertResponse,
            new { sessionId = id, participantId, speaksFor = (long)speaksFor, now }, tx);
        if (existing is not null)
        {
            await connection.ExecuteAsync(UpdateResponse, new { id = responseId, speaksFor = (long)speaksFor, now }, tx);
            await connection.ExecuteAsync(DeleteAnswers, new { id = responseId }, tx);
        }

        foreach (var a in answers)
        {
            await connection.ExecuteAsync(InsertAnswer, new { responseId, questionId = a.QuestionId, optionId = a.OptionId, rating = a.Rating, text = a.Text }, tx);
        }

        var saved = await connection.QuerySingleAsync<ResponseRow>(SelectResponse, new { participantId }, tx);
        var described = await DescribeResponseAsync(connection, saved, participantId, tx);
        await tx.CommitAsync(ct);
        return described;
    }

    /// <summary>
    /// Checks a response against the form: each answer names a question of the form once; ratings are
    /// 1..5 (answer_out_of_range), options belong to their question (unknown_option) and a single choice
    /// takes one; texts are user text up to the limit (answer_too_long); an empty answer is no answer, and
    /// a required question needs one (answer_required).
    /// </summary>
    private static (int SpeaksFor, List<AnswerRow> Answers) Validate(FeedbackSubmission body, StoredQuestion[] form, long headcount)
    {
        var limits = FeedbackLimits.Current;
        var speaksFor = Check.Range(body.SpeaksFor ?? (int)Math.Clamp(headcount, 1, limits.SpeaksForMax), "speaksFor", 1, limits.SpeaksForMax);
        var byNumber = form.ToDictionary(q => q.Question.Number);
        var answered = new HashSet<int>();
        var seen = new HashSet<int>();
        var rows = new List<AnswerRow>();
        foreach (var a in body.Answers ?? [])
        {
            if (!byNumber.TryGetValue(a.Question, out var q))
            {
                throw ExchangeProblem.BadRequest("unknown_question", $"The form has no question {a.Question}.");
            }

            if (!seen.Add(a.Question))
            {
                throw ExchangeProblem.BadRequest("validation", $"Question {a.Question} is answered twice.");
            }

            var kind = q.Question.Kind;
            var hasOptions = a.Options is { Length: > 0 };
            var hasText = !string.IsNullOrEmpty(a.Text);
            if ((kind != FeedbackKinds.Rating && a.Rating is not null)
                || (!FeedbackKinds.HasOptions(kind) && hasOptions)
                || (kind != FeedbackKinds.Text && hasText))
            {
                throw ExchangeProblem.BadRequest("validation", $"Question {a.Question} is a {kind} question; answer it with {AnswerField(kind)}.");
            }

            switch (kind)
            {
                case FeedbackKinds.Rating when a.Rating is { } rating:
                    if (rating < limits.RatingMin || rating > limits.RatingMax)
                    {
                        throw ExchangeProblem.BadRequest("answer_out_of_range",
                            $"Question {a.Question} takes a rating from {limits.RatingMin} to {limits.RatingMax}.");
                    }

                    rows.Add(new AnswerRow(q.Id, null, rating, null));
                    break;
                case FeedbackKinds.Single or FeedbackKinds.Multiple when hasOptions:
                    var chosen = a.Options!.Distinct().ToArray();
                    if (kind == FeedbackKinds.Single && chosen.Length > 1)
                    {
                        throw ExchangeProblem.BadRequest("validation", $"Question {a.Question} takes one option.");
                    }

                    foreach (var option in chosen)
                    {
                        if (option < 1 || option > q.OptionIds.Length)
                        {
                            throw ExchangeProblem.BadRequest("unknown_option", $"Question {a.Question} has no option {option}.");
                        }

                        rows.Add(new AnswerRow(q.Id, q.OptionIds[option - 1], null, null));
                    }

                    break;
                case FeedbackKinds.Text when hasText:
                    var text = Check.Text(a.Text, $"answer to question {a.Question}", limits.AnswerTextMax, minLength: 0,
                        code: "answer_too_long", multiline: true);
                    if (!Check.HasVisible(text))
                    {
                        continue;
                    }

                    rows.Add(new AnswerRow(q.Id, null, null, text));
                    break;
                default:
                    continue; // left empty
            }

            answered.Add(a.Question);
        }

        if (form.FirstOrDefault(q => q.Question.Required && !answered.Contains(q.Question.Number)) is { } missing)
        {
            throw ExchangeProblem.BadRequest("answer_required", $"Question {missing.Question.Number} needs an answer.");
        }

        return (speaksFor, rows);
    }

    private static string AnswerField(string kind) => kind switch
    {
        FeedbackKinds.Rating => "rating",
        FeedbackKinds.Text => "text",
        _ => "options",
    };

    /// <summary>The caller's participant, when its token is for this session.</summary>
    private static long Caller(HttpContext http, long id)
    {
        if (http.User.SessionId() != id)
        {
            throw ExchangeProblem.Forbidden("forbidden", "Your link is for another session.");
        }

        return http.User.ParticipantId() ?? throw ExchangeProblem.Forbidden("viewer_only", "Only a participant can give feedback.");
    }

    private static async Task<ParticipantRow> ParticipantAsync(DbConnection connection, long participantId, DbTransaction? tx)
    {
        var participant = await connection.QuerySingleAsync<ParticipantRow>(SelectParticipant, new { participantId }, tx);
        return participant.RemovedAtMs is null ? participant : throw SessionGate.Removed();
    }

    private static async Task<FeedbackResponse> DescribeResponseAsync(DbConnection connection, ResponseRow r, long participantId, DbTransaction? tx) =>
        new(r.Id, participantId, (int)r.SpeaksFor, DateTimeOffset.FromUnixTimeMilliseconds(r.SubmittedAtMs),
            DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAtMs), await FeedbackAnswers.LoadOneAsync(connection, r.Id, tx));

    // --- Anyone with the code (the feedback link) ---------------------------------------------------

    private static async Task<Ok<FeedbackInvitation>> InvitationAsync(string code, Database database, SessionGate gate, FeedbackWindows windows,
        CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var session = await FindAsync(connection, code, gate);
        return TypedResults.Ok(new FeedbackInvitation(session.Id, session.Code, session.Title, session.HostAgency, session.InvitedAgencies,
            session.TimeZone, await windows.LoadAsync(connection, session.Id), await FeedbackForms.LoadAsync(connection, session.Id),
            FeedbackLimits.Current));
    }

    /// <summary>
    /// Someone who did not join (or on another device) answers from the link: a participant is made for
    /// them as a join would (the same per-address limit), with no attendance, while feedback is open.
    /// </summary>
    private static async Task<Ok<Joined>> AddRespondentAsync(string code, FeedbackRespondent body, HttpContext http, Database database,
        SessionGate gate, FeedbackWindows windows, IConfiguration configuration, CancellationToken ct)
    {
        var displayName = Check.Text(body.DisplayName, "displayName", JoinEndpoints.DisplayNameMax);
        var headcount = Check.Range(body.Headcount, "headcount", 1, JoinEndpoints.HeadcountMax);
        await using var connection = await database.OpenAsync(ct);
        var session = await FindAsync(connection, code, gate);
        FeedbackWindows.RequireOpen(await windows.LoadAsync(connection, session.Id));
        if (body.AgencyId != session.HostAgency.Id && session.InvitedAgencies.All(a => a.Id != body.AgencyId))
        {
            throw ExchangeProblem.BadRequest("agency_not_invited", "Choose one of the agencies invited to this session.");
        }

        await using var tx = await database.BeginWriteAsync(connection, ct);
        // A respondent is recorded as a joining screen is: it reads and accepts the same notice.
        var consentVersion = await Consent.ConsentNotices.RequireAcceptedAsync(connection, tx, session.Id, body.ConsentVersion);
        var token = await JoinEndpoints.NewViewerAsync(connection, tx, configuration, session.Id, body.AgencyId, displayName, headcount,
            JoinEndpoints.AddressOf(http), windows.NowMs);
        await Consent.ConsentNotices.RecordAsync(connection, tx, token, consentVersion, windows.NowMs);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new Joined(token, session.Id, session.Code));
    }

    private static async Task<SessionScheduled> FindAsync(DbConnection connection, string? typed, SessionGate gate)
    {
        var normalised = JoinCode.Normalise(typed);
        var rows = normalised is null
            ? []
            : await connection.QueryAsync<SessionRow>(SessionEndpoints.SelectSessions + " where code = @code", new { code = normalised });
        var found = await SessionEndpoints.DescribeAsync(connection, rows, gate);
        return found.Length == 1
            ? found[0]
            : throw ExchangeProblem.NotFound("unknown_code", "No session has this code. Check the code and try again.");
    }
}
