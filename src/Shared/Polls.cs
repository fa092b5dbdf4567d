namespace LiveExchange.Shared;

// Polls (issue 9). The polls stream (LiveStreams.Polls) carries which poll is open and the closed
// ones with their final results, versioned like the other streams. Results of the open poll are not
// in the stream: they change with every answer, so they are coalesced (PollResultsChanged, at most
// once per window per session per instance) and ordered by their Sequence instead of a version.
// Hidden results reach hosts only until the poll closes: not in events, snapshots or call returns.

public static class PollKinds
{
    public const string Single = "single";
    public const string Multiple = "multiple";
    public const string Rating = "rating";
    public const string Words = "words";
}

/// <summary>When viewers see the results.</summary>
public static class PollResultModes
{
    /// <summary>While the poll is open, as answers come in.</summary>
    public const string Live = "live";

    /// <summary>Only once it closes; hosts see them throughout.</summary>
    public const string Hidden = "hidden";
}

/// <summary>How answers are counted: once per screen, or weighted by the screen's headcount.</summary>
public static class PollCountings
{
    public const string Screens = "screens";
    public const string People = "people";
}

public static class PollStates
{
    public const string Draft = "draft";
    public const string Open = "open";
    public const string Closed = "closed";
}

/// <summary>
/// A poll as every screen sees it once launched. <c>Results</c> is null for an open poll whose results
/// the receiver may not see (hidden, not a host), and in the stream's events (results come separately).
/// </summary>
public sealed record PollView(
    long Id,
    string Kind,
    string Question,
    IReadOnlyList<string> Options,
    string Results,
    string Counting,
    string State,
    DateTimeOffset? OpenedAt,
    DateTimeOffset? ClosedAt,
    PollResults? Tally);

/// <summary>The polls stream: the open poll (if any), the closed ones newest first, and this viewer's answer to the open one.</summary>
public sealed record PollsState(long Version, PollView? Open, IReadOnlyList<PollView> Closed, MyPollAnswer? MyAnswer);

/// <summary>
/// A poll's results, exact, both ways: every item with the screens that chose it and the people they
/// speak for; the totals say "37 people on 5 screens". <c>Counting</c> says which figure the poll shows.
/// <c>Sequence</c> grows with every answer written (never repeats with other counts), so a client keeps the highest.
/// For words, Items holds the most frequent <c>PollRules.CloudWords</c>.
/// </summary>
public sealed record PollResults(
    long PollId,
    long Sequence,
    string Counting,
    int Screens,
    int People,
    IReadOnlyList<PollItemCount> Items,
    bool Final);

/// <summary>An option (its position, "0".."9"), a rating ("1".."5") or a word, with how many chose it.</summary>
public sealed record PollItemCount(string Item, int Screens, int People);

/// <summary>What a viewer sends: option positions (single: one; multiple: one or more), a rating, or 1-3 words.</summary>
public sealed record PollAnswerInput(IReadOnlyList<int>? Options, int? Rating, IReadOnlyList<string>? Words);

/// <summary>This viewer's stored answer (words as normalised and counted).</summary>
public sealed record MyPollAnswer(long PollId, IReadOnlyList<int> Options, int? Rating, IReadOnlyList<string> Words, DateTimeOffset AnsweredAt);
