namespace LiveExchange.Tests.Infrastructure;

/// <summary>
/// The system clock, moved forward by the test: real time keeps running (timers, timeouts and the network
/// are real), and <see cref="Advance"/> jumps the wall clock the app reads, as days passing would.
/// </summary>
public sealed class ShiftableClock : TimeProvider
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}
