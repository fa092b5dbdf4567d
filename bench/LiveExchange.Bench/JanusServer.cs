using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.NetworkInformation;

namespace LiveExchange.Bench;

/// <summary>
/// A real Janus (the Debian package) in a process of its own, with a configuration written for the
/// test: the HTTP API on a free loopback port behind an API secret, VideoRoom only. Janus never gathers
/// ICE candidates on loopback, so it is pinned to one other local interface: the veth pair
/// scripts/test.sh makes in the test's own network namespace (LIVEEXCHANGE_TEST_JANUS_IFACE), or, run by
/// hand, the machine's first non-loopback interface. Packets to a local address stay on the machine.
/// The test can stop and start it again to play a media server that goes away.
/// </summary>
public sealed class JanusServer : IAsyncDisposable
{
    public const string ApiSecret = "test-janus-api-secret-0123";
    public const string RoomSecret = "test-janus-room-secret-4567";

    private readonly string _dir = Directory.CreateTempSubdirectory("lx-janus-").FullName;
    private readonly int _port = FreePort();
    private Process? _process;

    public string Url => $"http://127.0.0.1:{_port}/janus";

    public string Log => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    private string LogFile => Path.Combine(_dir, "janus.log");

    public static string Interface =>
        Environment.GetEnvironmentVariable("LIVEEXCHANGE_TEST_JANUS_IFACE") is { Length: > 0 } configured
            ? configured
            : NetworkInterface.GetAllNetworkInterfaces()
                .FirstOrDefault(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback
                    && n.GetIPProperties().UnicastAddresses.Any(a => a.Address.AddressFamily == AddressFamily.InterNetwork))?.Name
                ?? throw new InvalidOperationException("No non-loopback interface for Janus's ICE candidates: run the tests with scripts/test.sh.");

    public async Task StartAsync()
    {
        WriteConfig();
        var start = new ProcessStartInfo("janus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-F", _dir, "-C", Path.Combine(_dir, "janus.jcfg"), "-o", "-N", "-L", LogFile })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("janus did not start; is the janus package installed?");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                if ((await http.GetAsync($"{Url}/info")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (_process.HasExited)
            {
                break;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"Janus did not answer on {Url}.\n{Log}");
    }

    /// <summary>CPU time Janus has used so far (user + system), from /proc.</summary>
    public TimeSpan CpuTime()
    {
        if (_process is not { HasExited: false } process)
        {
            return TimeSpan.Zero;
        }

        process.Refresh();
        return process.TotalProcessorTime;
    }

    /// <summary>Kills Janus (no goodbye to anyone), as a crash or an operator would.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }

    private void WriteConfig()
    {
        const string lib = "/usr/lib/x86_64-linux-gnu/janus";
        var rtpLow = 20000 + (_port % 200) * 100;
        File.WriteAllText(Path.Combine(_dir, "janus.jcfg"), $$"""
            general: {
                configs_folder = "{{_dir}}"
                plugins_folder = "{{lib}}/plugins"
                transports_folder = "{{lib}}/transports"
                events_folder = "{{lib}}/events"
                loggers_folder = "{{lib}}/loggers"
                debug_level = 4
                api_secret = "{{ApiSecret}}"
                session_timeout = 60
            }
            certificates: {
            }
            media: {
                ipv6 = false
                rtp_port_range = "{{rtpLow}}-{{rtpLow + 99}}"
            }
            nat: {
                ice_enforce_list = "{{Interface}}"
                ignore_mdns = true
            }
            plugins: {
                disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"
            }
            transports: {
                disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so"
            }
            loggers: {
                disable = "libjanus_jsonlog.so"
            }
            events: {
                broadcast = false
            }
            """);
        File.WriteAllText(Path.Combine(_dir, "janus.transport.http.jcfg"), $$"""
            general: {
                json = "compact"
                base_path = "/janus"
                http = true
                port = {{_port}}
                ip = "127.0.0.1"
                https = false
            }
            admin: {
                admin_http = false
                admin_https = false
            }
            cors: {
            }
            """);
        File.WriteAllText(Path.Combine(_dir, "janus.plugin.videoroom.jcfg"), "general: {\n}\n");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
