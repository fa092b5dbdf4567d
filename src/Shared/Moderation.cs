namespace LiveExchange.Shared;

// Q&A moderation (issue 9). Questions have a status; viewers see live and answered ones through the
// questions stream, moderators (the host, or the moderator link) see every question, pending ones
// included, through the moderation stream: versioned on its own. Each change to a question goes to the
// moderators' group as that one question (ModerationQuestionChanged): a session may hold hundreds of long
// questions, and sending them all on every change cost each moderator hundreds of KB per click in a
// question storm. The whole state comes with the snapshot, GetModeration after a gap, and the rare
// changes that touch every question (the approval setting, a participant removed).

public static class QuestionStatuses
{
    /// <summary>Waiting for a moderator (only when the session asks for approval). Moderators and the asker see it.</summary>
    public const string Pending = "pending";

    public const string Live = "live";
    public const string Answered = "answered";

    /// <summary>Kept off the screens by a moderator.</summary>
    public const string Dismissed = "dismissed";

    /// <summary>Taken back by the asker.</summary>
    public const string Withdrawn = "withdrawn";

    /// <summary>What viewers see: the rest reach moderators (and the asker) only.</summary>
    public static bool IsPublic(string status) => status is Live or Answered;
}

public static class ModerationStreams
{
    /// <summary>The moderators' stream: every question, whatever its status.</summary>
    public const string Moderation = "moderation";

    /// <summary>
    /// Not a stream of events: a number bumped by every flush of vote counts (VoteFanout), which reads the
    /// counts after taking it, so a higher sequence always carries counts read later and a client keeps
    /// per question the count with the highest sequence (votes can be taken back: "highest count" is wrong).
    /// </summary>
    public const string Votes = "votes";
}

/// <summary>
/// Session; questions stream. A visible question changed (approved, edited, answered, replied) or left
/// the public list (<c>Question</c> null: dismissed, withdrawn). Always carries the pinned question.
/// </summary>
public sealed record QuestionUpdated(long Version, long QuestionId, QuestionView? Question, long? PinnedQuestionId);

/// <summary>
/// Moderators only; moderation stream: one question changed (asked, approved, dismissed, answered, edited,
/// withdrawn, replied, pinned), in full and named, whatever its status; <c>Question</c> null when the change
/// touched none (unpinning). Always carries the pinned question. A client applies it on top of its whole
/// state when <c>Version</c> is exactly its moderation version + 1 (replacing the question with that id or
/// adding it, in id order), reloads with GetModeration when it is further ahead, and ignores it when older.
/// </summary>
public sealed record ModerationQuestionChanged(long Version, long QuestionId, QuestionView? Question, long? PinnedQuestionId);

/// <summary>Moderators only; moderation stream, whole state: every question, named, any status.</summary>
public sealed record ModerationState(long Version, bool QuestionsNeedApproval, IReadOnlyList<QuestionView> Questions, long? PinnedQuestionId);

/// <summary>The organiser's per-session moderation setting (PUT /api/sessions/{id}/moderation).</summary>
public sealed record ModerationSettings(bool QuestionsNeedApproval);
