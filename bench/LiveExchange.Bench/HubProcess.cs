using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace LiveExchange.Bench;

/// <summary>
/// A server in its own process, as deployed: `dotnet LiveExchange.Hub.dll` (or the bare hub) on a
/// free loopback port. Used by the benchmark and by the two-instance tests.
/// </summary>
public sealed partial class HubProcess : IAsyncDisposable
{
    public const string OurHub = "LiveExchange.Hub.dll";
    public const string BareHub = "LiveExchange.BareHub.dll";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HubProcess(Process process, string name) => (_process, Name) = (process, name);

    public string Name { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Resident memory, from /proc (what the machine gives the process, garbage included).</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>
    /// Starts a hub. <paramref name="arguments"/> come first on the command line, as a user types them
    /// (with --urls among them, the hub listens where they say).
    /// </summary>
    public static async Task<HubProcess> StartAsync(string name, IReadOnlyDictionary<string, string> settings, string dll = OurHub,
        IReadOnlyList<string>? arguments = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var argument in arguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        if (arguments?.Any(a => a.StartsWith("--urls", StringComparison.Ordinal)) != true)
        {
            start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        }

        start.ArgumentList.Add($"--Hub:InstanceId={name}");
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Lifetime messages only: a bench run must not pay for logging every refused call.
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        return await LaunchAsync(name, start);
    }

    /// <summary>
    /// Starts the Socket.IO relay (bench/socketio-relay, Node) on a free loopback port, on Redis with its
    /// own channel prefix. It prints Kestrel's "Now listening on" line, so it starts like a hub.
    /// </summary>
    public static Task<HubProcess> StartSocketIoRelayAsync(string name, string redis, string prefix)
    {
        var directory = SocketIoRelayDirectory();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("relay.js");
        foreach (var argument in (string[])["--port", "0", "--redis", redis, "--prefix", prefix])
        {
            start.ArgumentList.Add(argument);
        }

        return LaunchAsync(name, start);
    }

    /// <summary>bench/socketio-relay with its packages installed, found upwards from the bench's binaries.</summary>
    public static string SocketIoRelayDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var relay = Path.Combine(dir.FullName, "bench", "socketio-relay");
            if (File.Exists(Path.Combine(relay, "relay.js")))
            {
                return Directory.Exists(Path.Combine(relay, "node_modules", "socket.io"))
                    ? relay
                    : throw new InvalidOperationException($"The Socket.IO relay's packages are missing: run `npm ci` in {relay} (scripts/bench.sh does).");
            }
        }

        throw new InvalidOperationException($"bench/socketio-relay/relay.js not found above {AppContext.BaseDirectory}.");
    }

    private static async Task<HubProcess> LaunchAsync(string name, ProcessStartInfo start)
    {
        var hub = new HubProcess(Process.Start(start)!, name);
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (hub._output)
            {
                if (hub._output.Length < 1_000_000)
                {
                    hub._output.AppendLine(line);
                }
            }

            if (ListeningLine().Match(line) is { Success: true } m)
            {
                listening.TrySetResult(new Uri(m.Groups[1].Value));
            }
        }

        hub._process.OutputDataReceived += (_, e) => OnLine(e.Data);
        hub._process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        hub._process.BeginOutputReadLine();
        hub._process.BeginErrorReadLine();
        hub._process.EnableRaisingEvents = true;
        hub._process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"{name} exited:\n{hub.Output}"));

        try
        {
            hub.BaseAddress = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            await hub.KillAsync();
            throw;
        }

        return hub;
    }

    /// <summary>SIGKILL: no shutdown, no disconnects, nothing flushed, as a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public int ProcessId => _process.Id;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
