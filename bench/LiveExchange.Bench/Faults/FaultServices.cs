using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LiveExchange.Bench.Faults;

/// <summary>
/// A PostgreSQL and a Redis of the drill's own, on free loopback ports, so it can stop, kill and
/// restart them without disturbing anything else (the tests' shared servers among them).
/// </summary>
public sealed class FaultServices : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lx-faults-").FullName;
    private Process? _redis;

    public int RedisPort { get; } = FreePort();

    public int PostgresPort { get; } = FreePort();

    public string Redis => $"127.0.0.1:{RedisPort},connectTimeout=2000,syncTimeout=2000,asyncTimeout=2000";

    /// <summary>The drill's database (lx_faults); short timeouts, so a stopped server is noticed quickly.</summary>
    public string Postgres => $"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Database=lx_faults;Timeout=3;Command Timeout=10";

    private string PgData => Path.Combine(_dir, "pg");

    public static async Task<FaultServices> StartAsync()
    {
        var s = new FaultServices();
        s.StartRedis();
        await s.InitPostgresAsync();
        await s.StartPostgresAsync();
        await using (var admin = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={s.PostgresPort};Username=postgres;Database=postgres"))
        {
            await admin.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand("create database lx_faults", admin);
            await create.ExecuteNonQueryAsync();
        }

        await WaitForPortAsync(s.RedisPort);
        return s;
    }

    public void StartRedis()
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--bind", "127.0.0.1", "--port", RedisPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--save", "", "--appendonly", "no", "--dir", _dir })
        {
            start.ArgumentList.Add(a);
        }

        _redis = Process.Start(start)!;
        _redis.BeginOutputReadLine();
        _redis.BeginErrorReadLine();
    }

    /// <summary>Redis killed: every connection to it drops at once, as when its machine goes.</summary>
    public async Task KillRedisAsync()
    {
        if (_redis is { HasExited: false })
        {
            _redis.Kill();
            await _redis.WaitForExitAsync();
        }
    }

    public async Task RestartRedisAsync()
    {
        StartRedis();
        await WaitForPortAsync(RedisPort);
    }

    public Task StopPostgresAsync() => PgCtlAsync("stop", "-m", "fast", "-w");

    public Task StartPostgresAsync() => PgCtlAsync("start", "-w", "-t", "30", "-l", Path.Combine(_dir, "pg.log"),
        "-o", $"-c listen_addresses=127.0.0.1 -p {PostgresPort} -k {_dir} -c fsync=off -c max_connections=300");

    private async Task InitPostgresAsync()
    {
        Directory.CreateDirectory(PgData);
        if (IsRoot)
        {
            await RunAsync("chown", "-R", "postgres:postgres", _dir);
        }

        await RunAsPostgresAsync(Path.Combine(PgBin, "initdb"), "-D", PgData, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8");
    }

    private Task PgCtlAsync(params string[] args) => RunAsPostgresAsync(Path.Combine(PgBin, "pg_ctl"), ["-D", PgData, .. args]);

    private static string PgBin => Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => d, StringComparer.Ordinal).Last() + "/bin";

    private static bool IsRoot => Environment.UserName == "root";

    private static Task RunAsPostgresAsync(string program, params string[] args) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. args]) : RunAsync(program, args);

    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {await output}{await error}");
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task WaitForPortAsync(int port)
    {
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"Nothing listens on port {port}.");
    }

    public async ValueTask DisposeAsync()
    {
        await KillRedisAsync();
        try
        {
            await StopPostgresAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
