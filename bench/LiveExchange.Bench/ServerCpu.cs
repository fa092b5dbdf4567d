using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Dapper;
using Npgsql;

namespace LiveExchange.Bench;

/// <summary>
/// CPU seconds the shared servers have used so far: PostgreSQL (the postmaster and its children, from
/// /proc) and Redis (INFO cpu). Sampled before and after a measured phase; the difference is its cost.
/// Both servers are the run's own throwaway ones, so nothing else is counted.
/// </summary>
public sealed class ServerCpu
{
    private static readonly double TicksPerSecond = 100; // USER_HZ, 100 on every Linux the bench runs on.

    private readonly int? _postmaster;
    private readonly string _redis;

    private ServerCpu(int? postmaster, string redis) => (_postmaster, _redis) = (postmaster, redis);

    /// <summary>Finds the postmaster as the parent of a backend of ours (NaN later if it is not on this machine).</summary>
    public static async Task<ServerCpu> FindAsync(string postgres, string redis)
    {
        int? postmaster = null;
        if (postgres.Length > 0)
        {
            await using var connection = new NpgsqlConnection(postgres);
            var backend = await connection.ExecuteScalarAsync<int>(SelectBackendPid);
            postmaster = Stat(backend) is { } stat ? stat.ParentPid : null;
        }

        return new ServerCpu(postmaster, redis.Split(',')[0]);
    }

    private const string SelectBackendPid = "select pg_backend_pid()";

    /// <summary>PostgreSQL's CPU seconds: the postmaster, the children it has reaped, and those alive.</summary>
    public double PostgresSeconds()
    {
        if (_postmaster is not { } pid || Stat(pid) is not { } postmaster)
        {
            return double.NaN;
        }

        var ticks = postmaster.Ticks + postmaster.ReapedChildrenTicks;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var child) && Stat(child) is { } stat && stat.ParentPid == pid)
            {
                ticks += stat.Ticks;
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>Redis's CPU seconds (used_cpu_user + used_cpu_sys, the main process and its threads).</summary>
    public async Task<double> RedisSecondsAsync()
    {
        var at = _redis.LastIndexOf(':');
        using var client = new TcpClient();
        await client.ConnectAsync(_redis[..at], int.Parse(_redis[(at + 1)..], CultureInfo.InvariantCulture));
        var stream = client.GetStream();
        await stream.WriteAsync("INFO cpu\r\n"u8.ToArray());
        var text = new StringBuilder();
        var buffer = new byte[4096];
        // A bulk string: "$<length>\r\n<body>\r\n"; read until the body is complete.
        while (true)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            var all = text.ToString();
            var header = all.IndexOf("\r\n", StringComparison.Ordinal);
            if (header > 0 && all[0] == '$' && all.Length >= header + 2 + int.Parse(all[1..header], CultureInfo.InvariantCulture))
            {
                break;
            }
        }

        double seconds = 0;
        foreach (var line in text.ToString().Split("\r\n"))
        {
            if (line.StartsWith("used_cpu_user:", StringComparison.Ordinal) || line.StartsWith("used_cpu_sys:", StringComparison.Ordinal))
            {
                seconds += double.Parse(line[(line.IndexOf(':') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return seconds;
    }

    private sealed record ProcStat(int ParentPid, long Ticks, long ReapedChildrenTicks);

    /// <summary>/proc/PID/stat: after the command in parentheses, ppid is field 4, utime/stime 14/15, cutime/cstime 16/17.</summary>
    private static ProcStat? Stat(int pid)
    {
        string line;
        try
        {
            line = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // Gone meanwhile.
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var fields = line[(line.LastIndexOf(')') + 2)..].Split(' ');
        long F(int n) => long.Parse(fields[n - 3], CultureInfo.InvariantCulture);
        return new ProcStat((int)F(4), F(14) + F(15), F(16) + F(17));
    }
}
