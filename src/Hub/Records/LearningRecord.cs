using System.Data.Common;
using System.Text.Json;
using Dapper;
using LiveExchange.Hub.Attendance;
using LiveExchange.Hub.Polls;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Records;

/// <summary>
/// What a session left behind, for the agencies to forward to colleagues who missed it: the session, the
/// agenda as planned beside when the session really started and ended, the deck, the questions with their
/// answers and replies, the launched polls' results and the attendance per agency. No one's name is in it:
/// questions show the asking agency (or nothing, when asked anonymously), attendance counts screens and people.
/// </summary>
public sealed record LearningRecord(
    long SessionId,
    string Title,
    string Description,
    string TimeZone,
    string HostAgency,
    string HostCity,
    RecordTimes Times,
    RecordAgendaItem[] Agenda,
    RecordDeck? Deck,
    RecordQuestion[] Questions,
    RecordPoll[] Polls,
    RecordAttendance Attendance);

/// <summary>
/// Planned times, and what happened: <see cref="StartedAt"/> is the later of the planned start and the
/// host's first connection (a session does not begin before its presenter is there); <see cref="EndedAt"/> is
/// when it was ended by hand, or the planned end when it ran to the end of its time (<see cref="EndedByHand"/> false).
/// </summary>
public sealed record RecordTimes(DateTimeOffset PlannedStart, DateTimeOffset PlannedEnd, DateTimeOffset StartedAt, DateTimeOffset EndedAt, bool EndedByHand);

public sealed record RecordAgendaItem(string Title, string? Agency, DateTimeOffset PlannedStart, DateTimeOffset PlannedEnd);

/// <summary>The deck last shown; <see cref="Link"/> serves it to whoever may read the record.</summary>
public sealed record RecordDeck(string FileName, int PageCount, string Link);

/// <summary>A question that was shown (live or answered). <see cref="Agency"/> and <see cref="City"/> are null when asked anonymously.</summary>
public sealed record RecordQuestion(string Text, string? Agency, string? City, int Votes, bool Answered, string? Reply);

public sealed record RecordPoll(string Question, string Kind, string Counting, int Screens, int People, RecordPollItem[] Items);

/// <summary>An option's text, a rating ("1".."5") or a word, with the screens and people that chose it.</summary>
public sealed record RecordPollItem(string Label, int Screens, int People);

public sealed record RecordAttendance(int Agencies, int Screens, int People, RecordAgencyAttendance[] ByAgency);

/// <summary>An agency's screens, the people at them (headcounts) and the minutes it was present (any of its screens).</summary>
public sealed record RecordAgencyAttendance(string Agency, string City, int Screens, int People, int Minutes);

internal static class LearningRecords
{
    private const string SelectSession = """
        select s.title, s.description, s.time_zone as TimeZone, s.starts_at_ms as StartsAtMs, s.ends_at_ms as EndsAtMs,
               s.ended_at_ms as EndedAtMs, s.deck_id as DeckId, a.name as HostAgency, a.city as HostCity
        from sessions s join agencies a on a.id = s.host_agency_id
        where s.id = @sessionId
        """;

    private const string SelectHostFirstSeen = """
        select min(i.joined_at_ms) from attendance_intervals i join participants p on p.id = i.participant_id
        where i.session_id = @sessionId and p.role = 'host'
        """;

    private const string SelectDeck = "select file_name as FileName, page_count as PageCount from decks where id = @deckId";

    private const string SelectQuestions = """
        select q.text, a.name as AgencyName, a.city, q.anonymous as Anonymous, q.status as Status, q.reply as Reply,
               (select count(*) from question_votes v where v.question_id = q.id) as Votes
        from questions q
        join participants p on p.id = q.participant_id
        join agencies a on a.id = p.agency_id
        where q.session_id = @sessionId and p.removed_at_ms is null and q.status in ('live', 'answered')
        order by q.asked_at_ms, q.id
        """;

    private const string SelectLaunchedPolls = "select " + PollBoard.PollColumns + """
         from polls where session_id = @sessionId and state <> 'draft' order by opened_at_ms, id
        """;

    /// <summary>The record, or 409 record_not_ready before the session has ended.</summary>
    public static async Task<LearningRecord> LoadAsync(DbConnection connection, long sessionId, SessionGate gate, DateTimeOffset now, TimeSpan instanceTimeout)
    {
        var times = await SessionGate.LoadAsync(connection, sessionId);
        if (gate.StateOf(times) != SessionStates.Ended)
        {
            throw ExchangeProblem.Conflict("record_not_ready", "The learning record is ready when the session has ended.");
        }

        var s = await connection.QuerySingleAsync<SessionRow>(SelectSession, new { sessionId });
        var zone = TimeZoneInfo.FindSystemTimeZoneById(s.TimeZone);
        DateTimeOffset At(long ms) => SessionEndpoints.InZone(ms, zone);
        var hostFirstSeen = await connection.ExecuteScalarAsync<long?>(SelectHostFirstSeen, new { sessionId });
        var startedMs = Math.Max(s.StartsAtMs, hostFirstSeen ?? s.StartsAtMs);
        var endedMs = s.EndedAtMs ?? s.EndsAtMs;
        var recordTimes = new RecordTimes(At(s.StartsAtMs), At(s.EndsAtMs), At(Math.Min(startedMs, endedMs)), At(endedMs), s.EndedAtMs is not null);

        var agenda = (await SessionOutlines.AgendaAsync(connection, sessionId, zone))
            .Select(a => new RecordAgendaItem(a.Title, a.AgencyName, a.StartsAt, a.EndsAt)).ToArray();

        RecordDeck? deck = null;
        if (s.DeckId is { } deckId && await connection.QuerySingleOrDefaultAsync<DeckRow>(SelectDeck, new { deckId }) is { } d)
        {
            deck = new RecordDeck(d.FileName, (int)d.PageCount, $"/api/sessions/{sessionId}/record/deck.pdf");
        }

        var questions = (await connection.QueryAsync<QuestionRow>(SelectQuestions, new { sessionId }))
            .Select(q => new RecordQuestion(q.Text, q.Anonymous == 1 ? null : q.AgencyName, q.Anonymous == 1 ? null : q.City, (int)q.Votes,
                q.Status == "answered", q.Reply))
            .ToArray();

        var polls = (await connection.QueryAsync<PollRow>(SelectLaunchedPolls, new { sessionId })).ToArray();
        var results = await PollTally.ReadLaunchedAsync(connection, null, sessionId, polls);
        var recordPolls = polls.Select(p =>
        {
            var r = results[p.Id];
            var options = JsonSerializer.Deserialize<string[]>(p.Options) ?? [];
            var counted = r.Items.ToDictionary(i => i.Item);
            // Every option and rating shows, chosen or not; words show those chosen.
            var items = p.Kind switch
            {
                PollKinds.Single or PollKinds.Multiple => options.Select((o, i) => Item(o, counted.GetValueOrDefault(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))),
                PollKinds.Rating => Enumerable.Range(1, 5).Select(n => Item(new string('★', n), counted.GetValueOrDefault(n.ToString(System.Globalization.CultureInfo.InvariantCulture)))),
                _ => r.Items.Select(i => new RecordPollItem(i.Item, i.Screens, i.People)),
            };
            return new RecordPoll(p.Question, p.Kind, p.Counting, r.Screens, r.People, items.ToArray());
        }).ToArray();

        var attendance = await AttendanceReport.LoadSessionAsync(connection, sessionId, now, instanceTimeout);
        var viewers = attendance.Participants.Where(p => p.Role == ParticipantRoles.Viewer).ToArray();
        var byAgency = viewers.GroupBy(p => p.AgencyId)
            .Select(g => new RecordAgencyAttendance(g.First().AgencyName, g.First().City, g.Count(), g.Sum(p => p.Headcount),
                AttendanceReport.MinutesOfMs(attendance.AgencyPresentMs(g.Key))))
            .OrderByDescending(a => a.People).ThenBy(a => a.Agency, StringComparer.Ordinal)
            .ToArray();

        return new LearningRecord(sessionId, s.Title, s.Description, s.TimeZone, s.HostAgency, s.HostCity, recordTimes, agenda, deck, questions,
            recordPolls, new RecordAttendance(byAgency.Length, viewers.Length, viewers.Sum(p => p.Headcount), byAgency));
    }

    private static RecordPollItem Item(string label, PollItemCount? count) => new(label, count?.Screens ?? 0, count?.People ?? 0);

    private sealed record SessionRow(
        string Title, string Description, string TimeZone, long StartsAtMs, long EndsAtMs, long? EndedAtMs, long? DeckId, string HostAgency, string HostCity);

    private sealed record DeckRow(string FileName, long PageCount);

    // Setters rather than a positional record: SQLite's computed columns have no declared type.
    private sealed class QuestionRow
    {
        public string Text { get; init; } = "";

        public string AgencyName { get; init; } = "";

        public string City { get; init; } = "";

        public long Anonymous { get; init; }

        public string Status { get; init; } = "";

        public string? Reply { get; init; }

        public long Votes { get; init; }
    }
}
