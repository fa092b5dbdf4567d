namespace LiveExchange.Shared;

// Reactions (issue 9, point 4). They are counts, not versioned state: each hub instance adds up the
// reactions it received in one window, adds them to the session's totals in the database and sends the
// session ONE ReactionsChanged per window. Totals only grow, so a client keeps the highest seen per kind.

/// <summary>The reactions a viewer may send, by name (the browser draws 👍 👏 ❤️ 💡 ❓).</summary>
public static class ReactionKinds
{
    public const string Like = "like";
    public const string Clap = "clap";
    public const string Love = "love";
    public const string Idea = "idea";
    public const string Question = "question";

    public static readonly IReadOnlyList<string> All = [Like, Clap, Love, Idea, Question];
}

public sealed record ReactionCount(string Kind, long Count);

/// <summary>
/// One window's reactions in a session from one hub instance (<paramref name="Burst"/>: only kinds that
/// were sent), and the session's running totals per kind read back from the database after they were added.
/// </summary>
public sealed record ReactionsChanged(IReadOnlyList<ReactionCount> Burst, IReadOnlyList<ReactionCount> Totals);

/// <summary>The session's totals per kind, as stored (for a screen that connects or reconnects).</summary>
public sealed record ReactionTotals(IReadOnlyList<ReactionCount> Totals);
