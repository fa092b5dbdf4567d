using System.Globalization;

namespace LiveExchange.Bench;

/// <summary>One scenario's parameters, from the command line (README.md, section Performance).</summary>
public sealed record BenchSettings
{
    public string Scenario { get; init; } = "fanout";

    public int Viewers { get; init; } = 1000;

    public int Instances { get; init; } = 2;

    /// <summary>fanout: measured page changes the host makes, at <see cref="Rate"/> per second.</summary>
    public int Changes { get; init; } = 50;

    public double Rate { get; init; } = 5;

    /// <summary>fanout: page changes made first, at the same rate, and reported apart as "cold".</summary>
    public int Warmup { get; init; } = 60;

    /// <summary>fanout: joins in flight at once, the same for every target.</summary>
    public int InFlight { get; init; } = 100;

    /// <summary>fanout: the SignalR hub protocol the viewers of ours and of the bare hub speak.</summary>
    public string Protocol { get; init; } = "json";

    /// <summary>joinstorm / votestorm: the window the joins or votes are spread over.</summary>
    public double Seconds { get; init; } = 10;

    /// <summary>votestorm: how many questions the votes are spread over.</summary>
    public int Questions { get; init; } = 5;

    public int Runs { get; init; } = 1;

    /// <summary>stalled: viewers that stop reading, present during the measured fan-out.</summary>
    public int Stalled { get; init; } = 1;

    /// <summary>A run that has not finished by then is stopped and reported as failed.</summary>
    public double TimeoutSeconds { get; init; } = 900;

    /// <summary>faults: how long Redis stays away (PostgreSQL: at most 10 s of it).</summary>
    public double AwaySeconds { get; init; } = 30;

    public string Postgres { get; init; } = "";

    public string Redis { get; init; } = "";

    /// <summary>Hub instances already running (given as URLs) instead of started by the bench.</summary>
    public IReadOnlyList<Uri> Urls { get; init; } = [];

    public string? OrganiserKey { get; init; }

    public const string Usage = """
        usage: LiveExchange.Bench <fanout|stalled|video|joinstorm|votestorm|reactionstorm|pollstorm|faults> [options]
          fanout runs ours, the bare SignalR hub and the Socket.IO relay (bench/socketio-relay, Node) one
          after the other in each run, the order alternating between runs.
          --viewers N        viewers (default 1000)
          --instances K      hub processes started by the bench (default 2)
          --changes M        fanout: measured page changes (default 50)
          --rate R           fanout: page changes per second (default 5; 0 = back to back)
          --warmup W         fanout: page changes first, at the same rate, reported as "cold" (default 60; 0 = none)
          --in-flight J      fanout: joins in flight at once, for every target (default 100)
          --protocol P       fanout: json or messagepack, the SignalR protocol of ours' and bare's viewers
                             (default json; Socket.IO viewers speak Engine.IO 4)
          --seconds T        joinstorm/votestorm/reactionstorm/pollstorm: spread over T seconds (default 10;
                             reactionstorm: every viewer reacts 3 times within it)
          --questions Q      votestorm: questions voted on (default 5)
          --runs N           repeat and report the median (default 1)
          --stalled N        stalled: viewers that stop reading during the fan-out (default 1)
                             video: --viewers browser pages subscribe to the host's camera through Janus
                             (needs the janus package and Chromium; --seconds per measured window)
          --timeout S        stop a run after S seconds (default 900)
          --away S           faults: seconds Redis stays away (default 30; PostgreSQL at most 10). The
                             fault drill starts its own PostgreSQL and Redis and two hubs behind a front door
          --postgres CS      PostgreSQL admin connection string (or LIVEEXCHANGE_BENCH_POSTGRES)
          --redis CS         Redis (or LIVEEXCHANGE_BENCH_REDIS)
          --urls U1,U2       use running hubs instead of starting them (needs --organiser-key, and
                             --postgres naming their database for the storms' checks; fanout's baselines
                             still start bare hubs and Socket.IO relays on --redis)
          --organiser-key K  the running hubs' organiser key
        scripts/bench.sh starts a throwaway PostgreSQL and Redis and passes them on.
        """;

    public static BenchSettings Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            throw new ArgumentException(Usage);
        }

        var s = new BenchSettings
        {
            Scenario = args[0],
            Postgres = Environment.GetEnvironmentVariable("LIVEEXCHANGE_BENCH_POSTGRES") ?? Environment.GetEnvironmentVariable("LIVEEXCHANGE_TEST_POSTGRES") ?? "",
            Redis = Environment.GetEnvironmentVariable("LIVEEXCHANGE_BENCH_REDIS") ?? Environment.GetEnvironmentVariable("LIVEEXCHANGE_TEST_REDIS") ?? "",
        };
        for (var i = 1; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            s = args[i] switch
            {
                "--viewers" => s with { Viewers = Positive(value, args[i]) },
                "--instances" => s with { Instances = Positive(value, args[i]) },
                "--changes" => s with { Changes = Positive(value, args[i]) },
                "--rate" => s with { Rate = Number(value, args[i]) },
                "--warmup" => s with { Warmup = Count(value, args[i]) },
                "--in-flight" => s with { InFlight = Positive(value, args[i]) },
                "--protocol" => s with { Protocol = value is "json" or "messagepack" ? value : throw new ArgumentException("--protocol must be json or messagepack.") },
                "--seconds" => s with { Seconds = Number(value, args[i]) },
                "--questions" => s with { Questions = Positive(value, args[i]) },
                "--runs" => s with { Runs = Positive(value, args[i]) },
                "--stalled" => s with { Stalled = Positive(value, args[i]) },
                "--timeout" => s with { TimeoutSeconds = Number(value, args[i]) },
                "--away" => s with { AwaySeconds = Number(value, args[i]) },
                "--postgres" => s with { Postgres = value },
                "--redis" => s with { Redis = value },
                "--urls" => s with { Urls = value.Split(',').Select(u => new Uri(u)).ToArray() },
                "--organiser-key" => s with { OrganiserKey = value },
                _ => throw new ArgumentException($"Unknown option {args[i]}.\n{Usage}"),
            };
        }

        if (s.Scenario is not ("fanout" or "stalled" or "video" or "joinstorm" or "votestorm" or "reactionstorm" or "pollstorm" or "faults"))
        {
            throw new ArgumentException($"Unknown scenario {s.Scenario}.\n{Usage}");
        }

        if (s.Seconds <= 0)
        {
            throw new ArgumentException("--seconds must be more than 0.");
        }

        if (s.Scenario != "faults" && (s.Redis.Length == 0 || (s.Postgres.Length == 0 && s.Urls.Count == 0)))
        {
            throw new ArgumentException("PostgreSQL and Redis are needed: run scripts/bench.sh, or pass --postgres and --redis.");
        }

        if (s.Urls.Count > 0 && s.OrganiserKey is null)
        {
            throw new ArgumentException("--urls needs --organiser-key.");
        }

        return s;
    }

    private static double Number(string value, string name) =>
        double.TryParse(value, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : throw new ArgumentException($"{name} must be a number, 0 or more.");

    private static int Count(string value, string name) =>
        int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : throw new ArgumentException($"{name} must be a whole number, 0 or more.");

    private static int Positive(string value, string name) =>
        int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive whole number.");
}
