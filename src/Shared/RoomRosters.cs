namespace LiveExchange.Shared;

// Room rosters (issue 10, point 4): the people in front of one screen. The roster is the screen's
// headcount when it has one; people arrive late and leave early, so a removed person's row is closed,
// never deleted, and their minutes are the screen's attendance while they were listed.
// RoomChanged goes to the one participant (all its tabs) and carries the whole roster, numbered by the
// session's "room" stream: a client keeps the highest Version it has seen, so no gap handling is needed.

/// <summary>A person as the screen types them: a name and, optionally, a job title.</summary>
public sealed record RoomMemberInput(string Name, string? JobTitle = null);

/// <summary>A person listed now, with when they were added (a late arrival's time).</summary>
public sealed record RoomMember(long Id, string Name, string? JobTitle, DateTimeOffset AddedAt);

/// <summary>
/// A screen's roster now and its headcount (the roster's size, or the headcount given at joining when the
/// roster is empty).
/// </summary>
public sealed record RoomState(long Version, IReadOnlyList<RoomMember> Members, int Headcount);

public static class RoomStreams
{
    public const string Room = "room";
}
