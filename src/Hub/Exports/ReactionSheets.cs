using LiveExchange.Hub.Reactions;
using LiveExchange.Shared;

namespace LiveExchange.Hub.Exports;

/// <summary>The session's reaction totals per kind (issue 9), every kind listed, zero where none came.</summary>
internal static class ReactionSheets
{
    private static readonly Dictionary<string, (string Emoji, Words Name)> Kinds = new()
    {
        [ReactionKinds.Like] = ("👍", new("点赞", "Like")),
        [ReactionKinds.Clap] = ("👏", new("鼓掌", "Applause")),
        [ReactionKinds.Love] = ("❤️", new("喜欢", "Love it")),
        [ReactionKinds.Idea] = ("💡", new("有启发", "Insightful")),
        [ReactionKinds.Question] = ("❓", new("有疑问", "Puzzled")),
    };

    public static readonly SheetSpec Reactions = new("reactions", new("互动表情", "Reactions"),
    [
        new(new("表情", "Reaction")), new(new("名称", "Name")), new(new("次数", "Count")),
    ]);

    public static readonly SheetSpec[] Specs = [Reactions];

    public static async Task<Sheet[]> BuildAsync(ExportContext context)
    {
        var totals = (await ReactionFanout.ReadTotalsAsync(context.Connection, null, context.Session.Id)).ToDictionary(t => t.Kind, t => t.Count);
        return
        [
            new(Reactions, ReactionKinds.All.Select(kind => new[]
            {
                Cell.Of(Kinds[kind].Emoji), Cell.Of(Kinds[kind].Name.In(context.Lang)), Cell.Of(totals.GetValueOrDefault(kind)),
            }).ToArray()),
        ];
    }
}
