using LiveExchange.Bench.Faults;
using Xunit.Abstractions;

namespace LiveExchange.Tests.Bench;

/// <summary>
/// The fault drill (bench/ faults) in quick mode: 60 viewers, Redis away 8 s, PostgreSQL 4 s. Every
/// fault ends with the final-state check: nothing acknowledged lost or doubled, every client converged
/// to the database. The figures (reconnect p99 after the kill, etc.) are printed, not asserted, apart
/// from the 10 s bound on coming back after an instance is killed, which is the feature itself.
/// </summary>
public sealed class FaultDrillTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Killed_instance_Redis_away_and_PostgreSQL_restarted_lose_nothing_and_every_client_converges()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var output = new StringWriter();
        FaultOutcome[] outcomes;
        try
        {
            outcomes = await FaultDrill.RunAsync(new FaultDrillSettings { Viewers = 60, RedisAwaySeconds = 8, PostgresAwaySeconds = 4 }, output, timeout.Token);
        }
        finally
        {
            log.WriteLine(output.ToString());
        }

        var kill = outcomes.Single(o => o.Fault == "kill");
        Assert.True(kill.Affected > 0, "nobody was on the killed instance");
        Assert.Equal(kill.Affected, kill.Back);
        Assert.True(kill.P99Ms < 10_000, $"p99 back after the kill: {kill.P99Ms} ms");
        Assert.Contains("A's intervals open 0, ended after its last heartbeat 0", kill.Notes);

        var redis = outcomes.Single(o => o.Fault == "redis");
        Assert.True(redis.SlowestCallMs < 5_000, $"a call took {redis.SlowestCallMs} ms while Redis was away");
        Assert.Contains("health said degraded: True", redis.Notes);

        var postgres = outcomes.Single(o => o.Fault == "postgres");
        Assert.True(postgres.Affected > 0 && postgres.Back == postgres.Affected,
            $"calls during the outage: {postgres.Notes}");
        Assert.True(postgres.MaxMs < 5_000, $"a call took {postgres.MaxMs} ms while PostgreSQL was down");

        foreach (var o in outcomes)
        {
            Assert.True(o.Acknowledged > 0, $"{o.Fault}: nothing was acknowledged");
            Assert.Equal(0, o.Lost);
            Assert.Equal(0, o.Doubled);
            Assert.Equal(o.Clients, o.Converged);
        }
    }
}
