namespace LiveExchange.Bench;

/// <summary>One scenario per call; prints a table per run, a median table, and one JSON line last.</summary>
internal static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        BenchSettings settings;
        try
        {
            settings = BenchSettings.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(settings.TimeoutSeconds * settings.Runs));
        try
        {
            var report = await BenchRunner.RunAsync(settings, Console.Out, deadline.Token);
            Console.WriteLine(report);
            return 0;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Console.Error.WriteLine($"Stopped: the run did not finish within {settings.TimeoutSeconds} s per run.");
            return 3;
        }
    }
}
