using LiveExchange.Shared;
using LiveExchange.Tests.Infrastructure;
using Npgsql;
using static LiveExchange.Tests.Polls.PollSteps;

namespace LiveExchange.Tests.ScaleOut;

/// <summary>Polls across two hub processes on one PostgreSQL and one Redis.</summary>
public sealed class PollTwoInstanceTests(TwoInstances hubs) : IClassFixture<TwoInstances>
{
    private readonly Api _onA = new(hubs.A.BaseAddress);
    private readonly Api _onB = new(hubs.B.BaseAddress);

    [Fact]
    public async Task Viewers_on_B_answer_and_the_host_on_A_gets_exact_results_hidden_from_viewers_until_closed()
    {
        var (session, invited) = await _onA.ScheduleAsync();
        var poll = await PrepareAsync(_onA, session, PollKinds.Multiple, "您的机构目前开展了哪些服务？", ["社区防疫", "为老服务", "青少年服务"],
            PollResultModes.Hidden, PollCountings.People);
        await using var host = await LiveClient.ConnectAsync(hubs.A.BaseAddress, session.HostToken);
        var viewers = new List<LiveClient>();
        try
        {
            foreach (var (agency, headcount) in new[] { (0, 6), (1, 3), (2, 1), (0, 12), (1, 5) })
            {
                var joined = await _onB.JoinAsync(session.Code, invited[agency].Id, $"屏幕{viewers.Count + 1}", headcount);
                viewers.Add(await LiveClient.ConnectAsync(hubs.B.BaseAddress, joined.ParticipantToken));
            }

            await LaunchAsync(host, poll.Id);
            foreach (var v in viewers)
            {
                await v.WaitForAsync<PollsState>(p => p.Open?.Id == poll.Id);
            }

            // Answered at once from B, one screen changing its answer.
            int[][] answers = [[0], [0, 1], [2], [1, 2], [0, 1, 2]];
            await Task.WhenAll(viewers.Select((v, i) => ChooseAsync(v, poll.Id, null, answers[i])));
            await ChooseAsync(viewers[4], poll.Id, null, 1);

            // 0: screens 1 and 2 (6 + 3); 1: screens 2, 4, 5 (3 + 12 + 5); 2: screens 3 and 4 (1 + 12). 27 people on 5 screens.
            var results = await ResultsAsync(host, poll.Id, ("0", 2, 9), ("1", 3, 20), ("2", 2, 13));
            Assert.Equal((5, 27), (results.Screens, results.People));
            await using (var db = new NpgsqlConnection(hubs.Database))
            {
                await db.OpenAsync();
                await using var count = new NpgsqlCommand("select count(*), sum(headcount) from poll_answers where poll_id = @p", db);
                count.Parameters.AddWithValue("p", poll.Id);
                await using var reader = await count.ExecuteReaderAsync();
                await reader.ReadAsync();
                Assert.Equal((5L, 27L), (reader.GetInt64(0), reader.GetInt64(1)));
            }

            await Task.Delay(3 * Hub.Polls.PollFanout.Window);
            Assert.All(viewers, v => Assert.Empty(v.Received.OfType<PollResults>()));

            await CloseAsync(host, poll.Id);
            foreach (var v in viewers)
            {
                var final = await v.WaitForAsync<PollsState>(p => p.Closed.Any(c => c.Id == poll.Id));
                Assert.Equal(Items(results), Items(final.Closed[0].Tally!));
                Assert.Equal(27, final.Closed[0].Tally!.People);
            }
        }
        finally
        {
            foreach (var v in viewers)
            {
                await v.DisposeAsync();
            }
        }
    }
}
