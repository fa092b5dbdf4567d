using System.Net;
using System.Text.Json;
using LiveExchange.Hub.Problems;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using StackExchange.Redis;

namespace LiveExchange.Hub.Operations;

/// <summary>
/// Metrics:Enabled (default true) serves /metrics; Metrics:AllowedNetworks (addresses or CIDR networks,
/// separated by commas or spaces; default loopback only) says who may read it. The counts are no
/// secret, but they tell an outsider how busy each session's hub is, so a Prometheus on another host
/// (or container) must be named here. Behind a trusted proxy the check sees the forwarded client
/// address, so going through nginx does not open it.
/// </summary>
public sealed class MetricsOptions
{
    public bool Enabled { get; set; } = true;

    public string AllowedNetworks { get; set; } = "127.0.0.0/8, ::1";

    internal List<IPNetwork>? ParseNetworks()
    {
        var networks = new List<IPNetwork>();
        foreach (var item in AllowedNetworks.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(item, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(item, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                return null;
            }
        }

        return networks;
    }
}

public static class OperationsExtensions
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string MetricsPath = "/metrics";

    /// <summary>Each ready check gets this long; a dead Redis or database never makes a load balancer's probe hang.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    private const string Ready = "ready";

    /// <summary>Health checks, the LiveExchange meter and (unless turned off) OpenTelemetry with a Prometheus exporter.</summary>
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ExchangeMetrics>();

        var checks = builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", HealthStatus.Unhealthy, [Ready], CheckTimeout);
        // The same conditions under which the features use Redis and Janus at all.
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis")))
        {
            checks.AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded, [Ready], CheckTimeout);
            builder.Services.AddHostedService<RedisConnectionLog>();
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration["Video:JanusUrl"]))
        {
            checks.AddCheck<JanusHealthCheck>("janus", HealthStatus.Degraded, [Ready], CheckTimeout);
        }

        builder.Services.AddOptions<MetricsOptions>().BindConfiguration("Metrics")
            .Validate(o => o.ParseNetworks() is not null, "Metrics:AllowedNetworks must list addresses or CIDR networks (like 127.0.0.1, 10.0.0.0/8), separated by commas.")
            .ValidateOnStart();
        if (builder.Configuration.GetValue("Metrics:Enabled", true))
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(ExchangeMetrics.MeterName)
                // Npgsql's own: commands (a batch is one round trip), connections, bytes; the join bench
                // reads db.client.commands.* from here to count round trips per join.
                .AddMeter("Npgsql")
                // Requests, Kestrel and SignalR connections, rate limiting (refused joins among them).
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        }

        return builder;
    }

    /// <summary>/health/live, /health/ready and /metrics: anonymous, for load balancers and Prometheus.</summary>
    public static WebApplication MapOperations(this WebApplication app)
    {
        // Live: the process answers requests; no dependency is asked, so a database outage does not
        // get every instance restarted.
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteReportAsync })
            .AllowAnonymous();
        // Ready: Healthy or Degraded answer 200, Unhealthy 503 (the framework's mapping).
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteReportAsync })
            .AllowAnonymous();

        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (options.Enabled)
        {
            var allowed = options.ParseNetworks()
                ?? throw new InvalidOperationException("Metrics:AllowedNetworks must list addresses or CIDR networks (like 127.0.0.1, 10.0.0.0/8), separated by commas.");
            // Anyone else gets the 404 of a path that does not exist.
            Func<HttpContext, RequestDelegate, Task> onlyAllowed = (http, next) => IsAllowed(http.Connection.RemoteIpAddress, allowed)
                ? next(http)
                : ExchangeProblem.WriteAsync(http, StatusCodes.Status404NotFound, "not_found", "Not found.");
            app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch => branch.Use(onlyAllowed), optionsName: null)
                .AllowAnonymous();
        }

        return app;
    }

    /// <summary>Counts the joins an endpoint makes: each success, and each refusal by its problem code.</summary>
    public static RouteHandlerBuilder CountedAsJoin(this RouteHandlerBuilder endpoint) => endpoint.AddEndpointFilter(async (context, next) =>
    {
        var metrics = context.HttpContext.RequestServices.GetRequiredService<ExchangeMetrics>();
        try
        {
            var result = await next(context);
            metrics.Joined();
            return result;
        }
        catch (Exception e)
        {
            metrics.JoinRefused(e switch
            {
                ExchangeProblem p => p.Code,
                _ when Storage.DatabaseFaults.IsUnavailable(e) => "unavailable",
                _ => "error",
            });
            throw;
        }
    });

    private static bool IsAllowed(IPAddress? address, List<IPNetwork> allowed)
    {
        if (address is null)
        {
            return false;
        }

        // Kestrel may see an IPv4 peer as IPv4-mapped IPv6 on a dual-stack socket.
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return allowed.Any(n => n.Contains(plain));
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// {"status":"Healthy","checks":[{"name":"database","status":"Healthy","description":"postgres answered"}]}:
    /// names, statuses and the checks' own fixed descriptions, never exception text or settings.
    /// </summary>
    private static Task WriteReportAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        return http.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
            }),
        }, Json);
    }
}
