using System.Data.Common;
using System.Globalization;
using Dapper;
using LiveExchange.Hub.Access;
using LiveExchange.Hub.Joining;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Retention;
using LiveExchange.Hub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Consent;

/// <summary>
/// What a viewer reads before joining: what is recorded, who sees it, and for how long, in both languages.
/// <c>TextZh</c>/<c>TextEn</c> are the whole notice as shown (the organiser's words or the default, then the
/// retention sentence, which is always the server's so the period stated is the one the sweep applies).
/// A join carries <c>Version</c>; every edit bumps it.
/// </summary>
public sealed record ConsentNotice(long Version, string TextZh, string TextEn, int RetentionDays, bool Custom, string? CustomZh, string? CustomEn);

/// <summary>The organiser's edit: own texts (empty or null: the default) and the session's retention period (null: the deployment's).</summary>
public sealed record ConsentNoticeEdit(string? TextZh, string? TextEn, int? RetentionDays);

public static class ConsentNotices
{
    /// <summary>The organiser's text per language: a few paragraphs, not a contract.</summary>
    public const int TextMax = 2000;

    public const string DefaultZh =
        "本场交流会记录：您的机构、您填写的终端名称和在场人员名单（姓名、职务）、人数、加入和离开的时间、您提出的问题和提交的反馈。" +
        "这些信息由主办方查看和导出；主讲机构在交流中看到提问和提问机构（匿名提问只有主办方和问答主持看到机构）。";

    public const string DefaultEn =
        "This session records: your agency, the screen name and the list of people in the room (names, job titles) you enter, " +
        "the headcount, when you join and leave, and the questions and feedback you send. The organiser sees and exports this; " +
        "the presenting agency sees questions with the asking agency during the session (for an anonymous question only the organiser and the moderator see the agency).";

    private const string SelectNotice = """
        select consent_version as Version, consent_text_zh as TextZh, consent_text_en as TextEn, retention_days as RetentionDays
        from sessions where id = @id
        """;

    private const string SelectIdByCode = "select id from sessions where code = @code";

    private const string UpdateNotice = """
        update sessions set consent_text_zh = @textZh, consent_text_en = @textEn, retention_days = @retentionDays,
               consent_version = consent_version + 1
        where id = @id
        """;

    private const string SelectVersion = "select consent_version from sessions where id = @id";

    private const string RecordConsent = """
        update participants set consent_version = @consentVersion, consented_at_ms = @now where token = @token
        """;

    public static IEndpointRouteBuilder MapConsent(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/join/{code}/notice", PublicAsync).AllowAnonymous().RequireRateLimiting(JoinEndpoints.LookupRateLimitPolicy);
        var organiser = app.MapGroup("/api/sessions/{id:long}/notice").RequireAuthorization(ExchangePolicies.Organiser);
        organiser.MapGet("", GetAsync);
        organiser.MapPut("", SaveAsync);
        return app;
    }

    private static async Task<Ok<ConsentNotice>> PublicAsync(string code, Database database, IOptions<RetentionOptions> options, CancellationToken ct)
    {
        var normalised = Sessions.JoinCode.Normalise(code);
        await using var connection = await database.OpenAsync(ct);
        var id = normalised is null ? null : await connection.QuerySingleOrDefaultAsync<long?>(SelectIdByCode, new { code = normalised });
        return TypedResults.Ok(await LoadAsync(connection, id ?? throw ExchangeProblem.NotFound("unknown_code",
            "No session has this code. Check the code and try again."), options.Value));
    }

    private static async Task<Ok<ConsentNotice>> GetAsync(long id, Database database, IOptions<RetentionOptions> options, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return TypedResults.Ok(await LoadAsync(connection, id, options.Value));
    }

    private static async Task<Ok<ConsentNotice>> SaveAsync(long id, ConsentNoticeEdit body, Database database, IOptions<RetentionOptions> options, CancellationToken ct)
    {
        var textZh = Check.Text(body.TextZh, "textZh", TextMax, minLength: 0, multiline: true);
        var textEn = Check.Text(body.TextEn, "textEn", TextMax, minLength: 0, multiline: true);
        if (body.RetentionDays is { } days)
        {
            Check.Range(days, "retentionDays", RetentionOptions.DaysMin, RetentionOptions.DaysMax);
        }

        await using var connection = await database.OpenAsync(ct);
        await using var tx = await database.BeginWriteAsync(connection, ct);
        var updated = await connection.ExecuteAsync(UpdateNotice, new
        {
            id,
            textZh = textZh.Length == 0 ? null : textZh,
            textEn = textEn.Length == 0 ? null : textEn,
            retentionDays = (long?)body.RetentionDays,
        }, tx);
        if (updated == 0)
        {
            throw ExchangeProblem.NotFound("session_not_found", "No such session.");
        }

        await tx.CommitAsync(ct);
        return TypedResults.Ok(await LoadAsync(connection, id, options.Value));
    }

    internal static async Task<ConsentNotice> LoadAsync(DbConnection connection, long id, RetentionOptions options)
    {
        var row = await connection.QuerySingleOrDefaultAsync<NoticeRow>(SelectNotice, new { id })
            ?? throw ExchangeProblem.NotFound("session_not_found", "No such session.");
        var days = (int)(row.RetentionDays ?? options.Days);
        var keptZh = string.Create(CultureInfo.InvariantCulture,
            $"个人信息在交流结束后保留 {days} 天；之后姓名、在场人员名单、提问人和文字反馈将被删除，只保留统计数字。");
        var keptEn = string.Create(CultureInfo.InvariantCulture,
            $"Personal data is kept for {days} days after the session ends; then names, room lists, question askers and written feedback are removed, and only the counts stay.");
        return new ConsentNotice(row.Version,
            (row.TextZh ?? DefaultZh) + "\n\n" + keptZh,
            (row.TextEn ?? DefaultEn) + "\n\n" + keptEn,
            days,
            row.TextZh is not null || row.TextEn is not null,
            row.TextZh,
            row.TextEn);
    }

    /// <summary>
    /// A join must carry the version of the notice the viewer read: none is <c>consent_required</c>, an older
    /// one <c>consent_outdated</c> (the join page reloads the notice and asks again).
    /// </summary>
    internal static async Task<long> RequireAcceptedAsync(DbConnection connection, DbTransaction tx, long sessionId, long? accepted) =>
        RequireAccepted(await connection.QuerySingleAsync<long>(SelectVersion, new { id = sessionId }, tx), accepted);

    /// <summary>The same check against a version already read (a join reads it with the rest of the session).</summary>
    internal static long RequireAccepted(long current, long? accepted) => accepted switch
    {
        null => throw ExchangeProblem.BadRequest("consent_required",
            "Read what this session records and accept it before joining."),
        { } v when v != current => throw Outdated(),
        _ => current,
    };

    internal static ExchangeProblem Outdated() => ExchangeProblem.Conflict("consent_outdated",
        "The organiser has changed what this session records; read the notice again before joining.");

    /// <summary>Stores on the participant the notice version it accepted, and when.</summary>
    internal static Task RecordAsync(DbConnection connection, DbTransaction tx, string token, long consentVersion, long now) =>
        connection.ExecuteAsync(RecordConsent, new { token, consentVersion, now }, tx);

    private sealed record NoticeRow(long Version, string? TextZh, string? TextEn, long? RetentionDays);
}
