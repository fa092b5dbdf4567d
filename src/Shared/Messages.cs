namespace LiveExchange.Shared;

// State that clients keep in sync is split into streams (slides, questions, stage, hands), each
// numbered on its own: every change to a stream carries that stream's version after the change.
// Versions increase by one per change, so a client that sees a gap in a stream reloads that stream
// alone (GetSlides, GetQuestions, GetStage, GetHands); an old version is dropped.
// Vote counts and reception reports are the exception: they are coalesced, whole values, so they
// need no version (vote counts carry a vote sequence instead, since a vote can be taken back). Signalling (SDP, ICE) is not state at all: it answers the one caller.

/// <summary>Names of the versioned streams, as used in the database and in <see cref="StreamVersions"/>.</summary>
public static class LiveStreams
{
    public const string Slides = "slides";
    public const string Questions = "questions";
    public const string Stage = "stage";
    public const string Hands = "hands";

    // --- Polls ---
    public const string Polls = "polls";
}

public sealed record SessionSnapshot(
    long SessionId,
    string Code,
    string Title,
    string Role,
    long MyParticipantId,
    SlidesState Slides,
    QuestionsState Questions,
    StageState Stage,
    /// <summary>Raised hands: hosts only (null for everyone else).</summary>
    HandsState? Hands,
    /// <summary>This participant's own place: hand raised, on stage.</summary>
    MyStage Me,
    VideoSettings Video,
    /// <summary>Title, times, state and agenda, as <see cref="IExchangeClient.SessionChanged"/> updates them.</summary>
    SessionOutline Outline,
    /// <summary>Every question with its status: moderators only (null for everyone else).</summary>
    ModerationState? Moderation = null,
    /// <summary>Polls: the open one (results only where the caller may see them), the closed ones, my answer.</summary>
    PollsState? Polls = null);

public sealed record SlidesState(
    long Version,
    DeckView? Deck,
    int CurrentPage,
    /// <summary>Presenting: viewers are offered the deck as a download (GET /api/decks/{id}?download=1).</summary>
    bool DeckDownloadable = false);

/// <summary>
/// The visible questions (live, answered; an anonymous one without its asker), with <c>Mine</c>: this
/// participant's own questions in full, pending ones included. <c>VoteSequence</c> is the vote sequence
/// the counts were read at (see <see cref="ModerationStreams.Votes"/>).
/// </summary>
public sealed record QuestionsState(
    long Version,
    IReadOnlyList<QuestionView> Questions,
    IReadOnlyList<long> MyVotes,
    IReadOnlyList<QuestionView>? Mine = null,
    long? PinnedQuestionId = null,
    long VoteSequence = 0,
    bool QuestionsNeedApproval = false);

public sealed record DeckView(long DeckId, string FileName, int PageCount);

public sealed record QuestionView(
    long Id,
    long ParticipantId,
    string Text,
    string AgencyName,
    string DisplayName,
    int Votes,
    DateTimeOffset AskedAt,
    string City = "",
    string Status = QuestionStatuses.Live,
    /// <summary>Asked anonymously: viewers other than the asker get it without agency, city, name or participant id.</summary>
    bool Anonymous = false,
    string? Reply = null,
    DateTimeOffset? RepliedAt = null,
    DateTimeOffset? AnsweredAt = null,
    DateTimeOffset? EditedAt = null);

public sealed record PageChanged(long Version, int Page, int PageCount);

public sealed record DeckChanged(long Version, DeckView Deck, int CurrentPage);

public sealed record QuestionAsked(long Version, QuestionView Question);

/// <summary>The current counts of the questions upvoted since the last update (coalesced per session).</summary>
public sealed record VotesChanged(IReadOnlyList<VoteCount> Counts, long Sequence = 0);

/// <summary>A question's count as read at vote <c>Sequence</c>: a client keeps the one with the highest sequence.</summary>
public sealed record VoteCount(long QuestionId, int Votes, long Sequence = 0);

// --- Stage and video ---------------------------------------------------------------------------

public static class FeedKinds
{
    public const string Camera = "camera";
    public const string Screen = "screen";
}

public static class FeedStatuses
{
    /// <summary>Janus carries it.</summary>
    public const string Live = "live";

    /// <summary>Its publisher's connection or the media server went away; it may resume.</summary>
    public const string Interrupted = "interrupted";
}

/// <summary>Who is on stage and what they publish. Sent whole on every change (it is small).</summary>
public sealed record StageState(long Version, IReadOnlyList<StageFeed> Feeds, IReadOnlyList<StageMember> OnStage);

/// <summary>One published stream: the host's camera or screen, or an on-stage agency's camera.</summary>
public sealed record StageFeed(
    long FeedId,
    long ParticipantId,
    string AgencyName,
    string DisplayName,
    string Kind,
    string Status,
    bool HasAudio,
    bool HasVideo);

public sealed record StageMember(long ParticipantId, string AgencyName, string City, string DisplayName);

/// <summary>Hands raised, in the order raised. Hosts only.</summary>
public sealed record HandsState(long Version, IReadOnlyList<RaisedHand> Raised);

public sealed record RaisedHand(long ParticipantId, string AgencyName, string City, string DisplayName, DateTimeOffset RaisedAt);

/// <summary>Sent to one participant (all its connections) when its own place changes.</summary>
public sealed record MyStage(bool HandRaised, bool OnStage);

/// <summary>What a browser needs to reach the media server; Configured is false in the embedded default.</summary>
public sealed record VideoSettings(bool Configured, IReadOnlyList<IceServer> IceServers, int MaxOnStage);

public sealed record IceServer(IReadOnlyList<string> Urls, string? Username, string? Credential);

public sealed record PublishOffer(string Kind, string Sdp);

public sealed record PublishAnswer(long FeedId, long HandleId, string Sdp);

public static class WatchQualities
{
    public const string Auto = "auto";
    public const string Low = "low";
    public const string AudioOnly = "audio";
}

public sealed record WatchOffer(long HandleId, long FeedId, string Quality, string Sdp);

public sealed record IceCandidate(string? Candidate, string? SdpMid, int? SdpMLineIndex);

public static class ReceptionStates
{
    public const string Playing = "playing";
    public const string Buffering = "buffering";
    public const string Failed = "failed";
    public const string AudioOnly = "audio";
    public const string Idle = "idle";
}

/// <summary>Per agency, what its screens report receiving. Hosts (and the organiser over HTTP).</summary>
public sealed record ReceptionSummary(int AgenciesReceiving, int AgenciesWatching, IReadOnlyList<AgencyReception> Agencies);

public sealed record AgencyReception(string AgencyName, int Screens, int Playing, int AudioOnly, int Buffering, int Failed);

/// <summary>
/// What every page shows about a session: title, planned times in its own zone, state
/// (scheduled | open | live | ended | cancelled) and the agenda. <c>Sequence</c> grows with every edit.
/// </summary>
public sealed record SessionOutline(
    long SessionId,
    string Title,
    string Description,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    string TimeZone,
    string State,
    long Sequence,
    IReadOnlyList<AgendaSegment> Agenda);

/// <summary>One part of the programme; the agency presenting it, if one does.</summary>
public sealed record AgendaSegment(string Title, long? AgencyId, string? AgencyName, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

/// <summary>
/// Why a screen is done: "ended" (the session is over), "cancelled" (the organiser cancelled it) or
/// "removed" (the organiser removed this participant).
/// </summary>
public sealed record SessionEnded(long SessionId, string Reason, DateTimeOffset At);

/// <summary>
/// The versions of a session's streams, sent when an instance's backplane comes back after an outage:
/// a client that is behind on a stream (it missed events meanwhile) reloads that stream.
/// </summary>
public sealed record StreamVersions(long SessionId, long Slides, long Questions, long Stage, long Hands, long Moderation = 0, long Polls = 0);
