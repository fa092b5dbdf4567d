namespace LiveExchange.Shared;

/// <summary>
/// What the exchange hub pushes to browsers and .NET clients. The TypeScript side names the same
/// events in src/Web/src/contract.ts; a test keeps the two lists equal.
/// </summary>
public interface IExchangeClient
{
    /// <summary>The whole state a screen needs, sent on connect and on request (resync).</summary>
    Task Snapshot(SessionSnapshot snapshot);

    Task PageChanged(PageChanged change);

    Task DeckChanged(DeckChanged change);

    Task QuestionAsked(QuestionAsked asked);

    /// <summary>
    /// Vote counts, sent at most once per <c>VoteFanout.Window</c> per session and instance: a storm of
    /// votes reaches each viewer as a bounded number of messages, not one per vote.
    /// </summary>
    Task VotesChanged(VotesChanged votes);
}

/// <summary>What clients may call on the exchange hub. Roles are checked by the hub on every call.</summary>
public interface IExchangeHub
{
    /// <summary>Any participant: the current state, read from the database.</summary>
    Task<SessionSnapshot> GetSnapshot();

    /// <summary>Host only: show page <paramref name="page"/> (1-based) to everyone.</summary>
    Task<PageChanged> GoToPage(int page);

    /// <summary>Viewer only: ask a question.</summary>
    Task<QuestionView> AskQuestion(string text);

    /// <summary>Viewer only: upvote someone else's question, once. Returns its count after this vote.</summary>
    Task<VoteCount> Upvote(long questionId);
}

public static class ExchangeHubRoute
{
    public const string Path = "/hubs/exchange";
}

public static class ParticipantRoles
{
    public const string Host = "host";
    public const string Viewer = "viewer";
}
