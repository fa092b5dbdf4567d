namespace LiveExchange.Hub.Retention;

/// <summary>How long personal data is kept, and how often the sweep looks for sessions past it.</summary>
public sealed class RetentionOptions
{
    public const int DaysMin = 1;
    public const int DaysMax = 3650;

    /// <summary>
    /// Retention:Days (default 365): days after a session ends that its personal data is kept, unless the
    /// organiser sets the session's own period. The consent notice states it.
    /// </summary>
    public int Days { get; set; } = 365;

    /// <summary>Retention:SweepIntervalSeconds (default 3600): how often each instance sweeps.</summary>
    public int SweepIntervalSeconds { get; set; } = 3600;
}
