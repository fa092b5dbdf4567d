using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;

namespace LiveExchange.Hub.Certificates;

/// <summary>The organiser's rule for a session's certificates.</summary>
/// <param name="MinPercent">Present for at least this share of the session (1..100).</param>
/// <param name="FeedbackRequired">The person's screen must have given feedback.</param>
/// <param name="CeHours">Continuing-education hours the certificate states (0.25..24, two decimals at most).</param>
public sealed record CertificateRule(int MinPercent, bool FeedbackRequired, decimal CeHours);

/// <summary>
/// The stretch of time presence is measured against: from the scheduled start to the scheduled end, or
/// to the actual end when the session was ended earlier by hand.
/// </summary>
public sealed record PresenceWindow(DateTimeOffset From, DateTimeOffset To, long LengthSeconds);

/// <summary>One person who may get a certificate: a screen without a roster, or one member of a screen's roster.</summary>
/// <param name="RoomMemberId">The roster row; null for a screen without a roster (its display name is the person).</param>
/// <param name="PresentSeconds">The screen's attendance inside the window (and inside the person's time on the roster).</param>
/// <param name="PresentPercent">PresentSeconds over the window's length, two decimals (rounded down, so 79.999 never shows as 80).</param>
/// <param name="Certificate">The certificate issued to this person, if any.</param>
public sealed record CertificateCandidate(
    long ParticipantId,
    long? RoomMemberId,
    string Name,
    string AgencyName,
    long PresentSeconds,
    decimal PresentPercent,
    bool FeedbackGiven,
    bool Eligible,
    IssuedCertificate? Certificate);

public sealed record IssuedCertificate(string Code, DateTimeOffset IssuedAt, DateTimeOffset? RevokedAt, string? RevokeReason);

/// <summary>
/// Who is eligible for a certificate. Presence is the screen's attendance (the union of its connection
/// intervals, as the attendance report counts it) inside the <see cref="PresenceWindow"/>; a roster member
/// counts only the part of it between being added and removed. The comparison is exact, in milliseconds:
/// present × 100 ≥ minimum × window, so 79.99 % is not 80 %.
/// </summary>
internal static class CertificateEligibility
{
    private const string SelectScreens = """
        select p.id as ParticipantId, p.display_name as DisplayName, a.name as AgencyName,
               cast(case when exists (select 1 from feedback_responses f where f.participant_id = p.id) then 1 else 0 end as bigint) as FeedbackGiven
        from participants p join agencies a on a.id = p.agency_id
        where p.session_id = @sessionId and p.role = 'viewer' and p.removed_at_ms is null
        order by p.id
        """;

    private const string SelectMembers = """
        select id as Id, participant_id as ParticipantId, name as Name, added_at_ms as AddedAtMs, removed_at_ms as RemovedAtMs
        from room_members where session_id = @sessionId
        order by participant_id, added_at_ms, id
        """;

    private const string SelectIssued = """
        select person_key as PersonKey, code as Code, issued_at_ms as IssuedAtMs, revoked_at_ms as RevokedAtMs, revoke_reason as RevokeReason
        from certificates where session_id = @sessionId
        """;

    public static PresenceWindow Window(SessionTimes times)
    {
        var fromMs = times.StartsAtMs;
        var toMs = Math.Max(fromMs, Math.Min(times.EndsAtMs, times.EndedAtMs ?? times.EndsAtMs));
        return new PresenceWindow(DateTimeOffset.FromUnixTimeMilliseconds(fromMs), DateTimeOffset.FromUnixTimeMilliseconds(toMs), (toMs - fromMs) / 1000);
    }

    public static string PersonKey(long participantId, long? roomMemberId) =>
        roomMemberId is { } m ? $"m:{m}" : $"p:{participantId}";

    public static async Task<CertificateCandidate[]> LoadAsync(DbConnection connection, long sessionId, SessionTimes times, CertificateRule? rule,
        DateTimeOffset now, TimeSpan instanceTimeout)
    {
        var window = Window(times);
        long fromMs = window.From.ToUnixTimeMilliseconds(), toMs = window.To.ToUnixTimeMilliseconds(), lengthMs = toMs - fromMs;
        var attendance = await AttendanceReport.LoadSessionAsync(connection, sessionId, now, instanceTimeout);
        var intervals = attendance.Intervals.ToLookup(i => i.ParticipantId, i => (i.JoinedAtMs, End: i.LeftAtMs ?? attendance.NowMs));
        var screens = await connection.QueryAsync<ScreenRow>(SelectScreens, new { sessionId });
        var members = (await connection.QueryAsync<MemberRow>(SelectMembers, new { sessionId })).ToLookup(m => m.ParticipantId);
        var issued = (await connection.QueryAsync<IssuedRow>(SelectIssued, new { sessionId })).ToDictionary(i => i.PersonKey);

        var candidates = new List<CertificateCandidate>();
        foreach (var screen in screens)
        {
            var roster = members[screen.ParticipantId].ToArray();
            // One person per name on a screen's roster, however many rows: someone taken off by mistake
            // and put back (or who stepped out) has two rows, and their presence is the union of both.
            // Names retention blanked stay one person per row (they get no certificate anyway).
            var people = roster.Length == 0
                ? [(MemberId: (long?)null, screen.DisplayName, Spans: new[] { (From: fromMs, To: toMs) })]
                : roster.GroupBy(m => m.Name.Length > 0 ? m.Name : $"\0{m.Id}", StringComparer.Ordinal)
                    .Select(g => (MemberId: (long?)g.Min(m => m.Id), g.First().Name,
                        Spans: g.Select(m => (From: Math.Max(fromMs, m.AddedAtMs), To: Math.Min(toMs, m.RemovedAtMs ?? toMs))).ToArray()));
            foreach (var (memberId, name, spans) in people)
            {
                var presentMs = AttendanceReport.UnionMs(intervals[screen.ParticipantId]
                    .SelectMany(i => spans.Select(span => (Math.Max(i.JoinedAtMs, span.From), Math.Min(i.End, span.To)))));
                var feedback = screen.FeedbackGiven == 1;
                // Retention blanks names: a certificate needs someone to name, so a blanked person gets none.
                var eligible = rule is not null && lengthMs > 0 && name.Length > 0
                    && presentMs * 100 >= rule.MinPercent * lengthMs
                    && (feedback || !rule.FeedbackRequired);
                var percent = lengthMs > 0 ? Math.Floor(presentMs * 10_000m / lengthMs) / 100m : 0m;
                var certificate = issued.GetValueOrDefault(PersonKey(screen.ParticipantId, memberId)) is { } c
                    ? new IssuedCertificate(c.Code, DateTimeOffset.FromUnixTimeMilliseconds(c.IssuedAtMs),
                        c.RevokedAtMs is { } r ? DateTimeOffset.FromUnixTimeMilliseconds(r) : null, c.RevokeReason)
                    : null;
                candidates.Add(new CertificateCandidate(screen.ParticipantId, memberId, name, screen.AgencyName, presentMs / 1000, percent,
                    feedback, eligible, certificate));
            }
        }

        return candidates.ToArray();
    }

    public static CertificateRule Validate(CertificateRule? rule)
    {
        if (rule is null)
        {
            throw ExchangeProblem.BadRequest("validation", "A rule is required: minPercent, feedbackRequired, ceHours.");
        }

        if (rule.MinPercent is < 1 or > 100)
        {
            throw ExchangeProblem.BadRequest("validation", "minPercent must be between 1 and 100.");
        }

        if (rule.CeHours < CertificateLimits.MinCeHours || rule.CeHours > CertificateLimits.MaxCeHours || decimal.Round(rule.CeHours, 2) != rule.CeHours)
        {
            throw ExchangeProblem.BadRequest("validation",
                $"ceHours must be between {CertificateLimits.MinCeHours} and {CertificateLimits.MaxCeHours}, with at most two decimals.");
        }

        return rule;
    }

    // Setters rather than positional records: SQLite's computed columns have no declared type.
    private sealed class ScreenRow
    {
        public long ParticipantId { get; init; }

        public string DisplayName { get; init; } = "";

        public string AgencyName { get; init; } = "";

        public long FeedbackGiven { get; init; }
    }

    private sealed record MemberRow(long Id, long ParticipantId, string Name, long AddedAtMs, long? RemovedAtMs);

    private sealed record IssuedRow(string PersonKey, string Code, long IssuedAtMs, long? RevokedAtMs, string? RevokeReason);
}

public static class CertificateLimits
{
    public const decimal MinCeHours = 0.25m;
    public const decimal MaxCeHours = 24m;
    public const int RevokeReasonMax = 200;

    /// <summary>Verification codes: 10 characters of an alphabet without 0/O, 1/I/L (about 50 bits).</summary>
    public const int CodeLength = 10;
    public const string CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
}
