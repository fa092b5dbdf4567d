using System.Net;
using System.Text;
using System.Text.Json;
using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;

namespace LiveExchange.Tests.Live;

/// <summary>
/// A full moderation queue (issue 11): every change reaches the moderators as the one question it touched,
/// never the whole queue, and the queue a moderator builds from those changes is the server's, on both
/// databases. The hubs here let a session fill its list (the shared fixtures keep fair-use limits low).
/// </summary>
public abstract class ModerationQueueBehaviour(ExchangeApp app)
{
    private readonly Api _api = new(app.BaseAddress);

    internal static readonly Dictionary<string, string> Limits = new()
    {
        ["Joining:ParticipantsPerAddress"] = "40",
        ["Questions:PerAgency"] = "100",
    };

    [Fact]
    public async Task With_100_long_questions_queued_each_change_reaches_moderators_as_that_one_question_and_the_queue_built_from_changes_is_GetModerations()
    {
        var (session, invited) = await _api.ScheduleAsync();
        using var organiser = _api.Organiser();
        Assert.Equal(HttpStatusCode.OK, (await ModerationBehaviour.SetApprovalAsync(organiser, session.Id, true)).StatusCode);
        await using var moderator = await LiveClient.ConnectAsync(_api.BaseAddress, ModerationBehaviour.ModeratorToken(session));
        var start = (await moderator.WaitForAsync<SessionSnapshot>(_ => true)).Moderation!.Version;

        // 100 questions of about 290 characters, from 20 screens of three agencies (5 a minute each).
        var askers = new List<LiveClient>();
        var asked = new List<QuestionView>();
        try
        {
            for (var p = 0; p < 20; p++)
            {
                var joined = await _api.JoinAsync(session.Code, invited[p % 3].Id, $"提问者{p}");
                var client = await LiveClient.ConnectAsync(_api.BaseAddress, joined.ParticipantToken);
                askers.Add(client);
                for (var q = 0; q < 5; q++)
                {
                    asked.Add(await client.InvokeAsync<QuestionView>(nameof(IExchangeHub.AskQuestion), $"问题 {p}-{q}：" + new string('问', 280), (string?)null, false));
                }
            }

            // One message per question, in version order, each carrying that question alone, pending.
            await ModerationBehaviour.WaitUntilAsync(() => moderator.Received.OfType<ModerationQuestionChanged>().Count() == 100,
                () => $"{moderator.Received.OfType<ModerationQuestionChanged>().Count()} of 100 questions reached the moderator");
            var arrived = moderator.Received.OfType<ModerationQuestionChanged>().ToArray();
            Assert.Equal(Enumerable.Range(1, 100).Select(i => start + i), arrived.Select(c => c.Version));
            Assert.Equal(asked.Select(q => q.Id), arrived.Select(c => c.QuestionId));
            Assert.All(arrived, c => Assert.Equal((c.QuestionId, QuestionStatuses.Pending), (c.Question!.Id, c.Question.Status)));

            // One change with the queue full: the one question, live, at the next version. The message is one
            // question's size, where the whole queue was a hundred times that.
            var target = asked[50];
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.ApproveQuestion), target.Id);
            var approved = await moderator.WaitForAsync<ModerationQuestionChanged>(c => c.QuestionId == target.Id && c.Question?.Status == QuestionStatuses.Live);
            Assert.Equal((start + 101, target.Text, (long?)null), (approved.Version, approved.Question!.Text, approved.PinnedQuestionId));
            var (message, oneQuestion) = (Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(approved)), Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(asked[49])));
            Assert.True(message < 2 * oneQuestion, $"{message} bytes for the change, {oneQuestion} for one question");

            // A run of every kind of change, by moderators and by the asker, and a vote.
            var (mine, voter) = (askers[0], askers[1]);
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.ApproveQuestion), asked[1].Id);
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.ApproveQuestion), asked[2].Id);
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)asked[1].Id);
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.ReplyToQuestion), asked[2].Id, "见第二页。");
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.MarkAnswered), asked[1].Id); // unpins it
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.DismissQuestion), asked[3].Id);
            await mine.InvokeAsync<QuestionView>(nameof(IExchangeHub.EditQuestion), asked[4].Id, "改过的问题");
            await mine.InvokeAsync<object>(nameof(IExchangeHub.WithdrawQuestion), asked[0].Id);
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)asked[2].Id);
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)null); // touches no question
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.PinQuestion), (long?)asked[2].Id);
            await voter.InvokeAsync<VoteCount>(nameof(IExchangeHub.Upvote), asked[2].Id);
            await moderator.InvokeAsync<object>(nameof(IExchangeHub.ApproveQuestion), asked[3].Id);

            // The queue built from the changes (with the vote counts the session gets, as the page shows them)
            // is the whole state the server reads, question for question.
            var whole = await moderator.InvokeAsync<ModerationState>(nameof(IExchangeHub.GetModeration));
            Assert.Equal(start + 113, whole.Version);
            Assert.Equal((asked[2].Id, 1), (whole.PinnedQuestionId, whole.Questions.Single(q => q.Id == asked[2].Id).Votes));
            await ModerationBehaviour.WaitUntilAsync(() => Json(WithCounts(moderator)) == Json(whole),
                () => $"built from changes:\n{Json(WithCounts(moderator))}\nGetModeration:\n{Json(whole)}");
            var unpinned = moderator.Received.OfType<ModerationQuestionChanged>().Single(c => c.Version == start + 111);
            Assert.Equal((0L, (QuestionView?)null, (long?)null), (unpinned.QuestionId, unpinned.Question, unpinned.PinnedQuestionId));
            Assert.Empty(moderator.Received.OfType<ModerationState>()); // never the whole queue
        }
        finally
        {
            foreach (var client in askers)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>The queue built from the changes, each question at the newest vote count the session was sent (as moderation.ts shows it).</summary>
    private static ModerationState? WithCounts(LiveClient client)
    {
        var queue = client.ModerationQueue();
        if (queue is null)
        {
            return null;
        }

        var counts = client.Received.OfType<VotesChanged>().SelectMany(v => v.Counts)
            .GroupBy(c => c.QuestionId).ToDictionary(g => g.Key, g => g.MaxBy(c => c.Sequence)!.Votes);
        return queue with { Questions = [.. queue.Questions.Select(q => counts.TryGetValue(q.Id, out var votes) ? q with { Votes = votes } : q)] };
    }

    private static string Json(ModerationState? state) => JsonSerializer.Serialize(state);
}

/// <summary>The hub on PostgreSQL and Redis, limits raised for a full queue.</summary>
public sealed class FullQueueOnPostgresApp : IAsyncLifetime
{
    public ExchangeApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = await TestServers.FreshHubSettingsAsync();
        foreach (var (key, value) in ModerationQueueBehaviour.Limits)
        {
            settings[key] = value;
        }

        App = new ExchangeApp(settings.ToDictionary(kv => kv.Key, kv => (string?)kv.Value));
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>The hub on a fresh SQLite file, limits raised for a full queue.</summary>
public sealed class FullQueueOnSqliteApp : IAsyncLifetime
{
    private readonly string _file = TestServers.NewSqliteFile();

    public ExchangeApp App { get; private set; } = null!;

    public Task InitializeAsync()
    {
        App = new ExchangeApp(new Dictionary<string, string?>(ModerationQueueBehaviour.Limits.Select(kv => KeyValuePair.Create(kv.Key, (string?)kv.Value)))
        {
            ["ConnectionStrings:Sqlite"] = $"Data Source={_file}",
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestServers.DeleteSqliteFile(_file);
    }
}

public sealed class ModerationQueueOnPostgres(FullQueueOnPostgresApp fixture) : ModerationQueueBehaviour(fixture.App), IClassFixture<FullQueueOnPostgresApp>;

public sealed class ModerationQueueOnSqlite(FullQueueOnSqliteApp fixture) : ModerationQueueBehaviour(fixture.App), IClassFixture<FullQueueOnSqliteApp>;
