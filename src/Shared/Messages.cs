namespace LiveExchange.Shared;

// Every message that changes a session's state carries the session's version after the change.
// Versions increase by one per change, so a client that sees a gap knows it missed something
// and asks for a snapshot; one that sees an old version drops the message.
// Vote counts are the exception: they only grow, so they need no version. A client keeps the
// highest count it has seen per question, whatever order the (coalesced) updates arrive in.

public sealed record SessionSnapshot(
    long Version,
    long SessionId,
    string Code,
    string Title,
    string Role,
    DeckView? Deck,
    int CurrentPage,
    IReadOnlyList<QuestionView> Questions,
    IReadOnlyList<long> MyVotes,
    long? MyParticipantId);

public sealed record DeckView(long DeckId, string FileName, int PageCount);

public sealed record QuestionView(
    long Id,
    long ParticipantId,
    string Text,
    string AgencyName,
    string DisplayName,
    int Votes,
    DateTimeOffset AskedAt);

public sealed record PageChanged(long Version, int Page, int PageCount);

public sealed record DeckChanged(long Version, DeckView Deck, int CurrentPage);

public sealed record QuestionAsked(long Version, QuestionView Question);

/// <summary>The current counts of the questions upvoted since the last update (coalesced per session).</summary>
public sealed record VotesChanged(IReadOnlyList<VoteCount> Counts);

public sealed record VoteCount(long QuestionId, int Votes);
