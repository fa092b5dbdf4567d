using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.SignalR;

namespace LiveExchange.Hub.Problems;

/// <summary>
/// A refusal the user should see: a stable code the UI translates (error.&lt;code&gt;), an English
/// text, and the HTTP status it maps to. Features throw it; HTTP turns it into ProblemDetails and
/// the hub into a HubException "[code] text", so both paths report the same thing the same way.
/// </summary>
public sealed class ExchangeProblem(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    /// <summary>Retry-After for a 503, when the feature knows better than the default two seconds.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ExchangeProblem BadRequest(string code, string message) => new(StatusCodes.Status400BadRequest, code, message);

    public static ExchangeProblem NotFound(string code, string message) => new(StatusCodes.Status404NotFound, code, message);

    public static ExchangeProblem Forbidden(string code, string message) => new(StatusCodes.Status403Forbidden, code, message);

    public static ExchangeProblem Conflict(string code, string message) => new(StatusCodes.Status409Conflict, code, message);

    public static ExchangeProblem TooLarge(string code, string message) => new(StatusCodes.Status413PayloadTooLarge, code, message);

    public static ExchangeProblem TooMany(string code, string message) => new(StatusCodes.Status429TooManyRequests, code, message);

    public static ExchangeProblem Unavailable(string code, string message) => new(StatusCodes.Status503ServiceUnavailable, code, message);

    /// <summary>Writes a ProblemDetails with a code where no exception is thrown (authentication, rate limits).</summary>
    public static async Task WriteAsync(HttpContext http, int status, string code, string title)
    {
        http.Response.StatusCode = status;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Extensions = { ["code"] = code } },
        });
    }

    /// <summary>The code a ProblemDetails gets when nothing more specific set one (a body that is not JSON, say).</summary>
    internal static string CodeFor(int? status) => status switch
    {
        StatusCodes.Status401Unauthorized => "unauthorised",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => "not_found",
        StatusCodes.Status413PayloadTooLarge => "too_large",
        StatusCodes.Status429TooManyRequests => "rate_limited",
        >= 500 => "server_error",
        _ => "validation",
    };
}

internal sealed class ExchangeProblemHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var (status, code, title) = exception switch
        {
            ExchangeProblem p => (p.Status, p.Code, p.Message),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (StatusCodes.Status413PayloadTooLarge, "too_large", "The request body is too large."),
            BadHttpRequestException b => (b.StatusCode, "validation", "The request could not be read."),
            _ when Storage.DatabaseFaults.IsUnavailable(exception) => (StatusCodes.Status503ServiceUnavailable, "unavailable",
                "The service is briefly unavailable; try again in a moment."),
            _ => (0, "", ""),
        };
        if (status == 0)
        {
            return false;
        }

        http.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            var seconds = (exception as ExchangeProblem)?.RetryAfterSeconds ?? 2;
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Extensions = { ["code"] = code } },
        });
    }
}

/// <summary>
/// Turns refusals into HubExceptions, whose message SignalR passes to the caller, and does the hub's
/// logging of failed calls. A refusal is the system working (a viewer voting twice, a rate limit): one
/// information line with the method and code, no stack. Anything else is a fault: an error with its
/// stack. SignalR's own dispatcher logs every failed call as an error with a stack trace, 1 KB a
/// refusal, so its category is turned down in <see cref="ProblemExtensions.AddExchangeProblems"/>.
/// </summary>
internal sealed class ExchangeProblemHubFilter(ILogger<ExchangeProblemHubFilter> logger) : IHubFilter
{
    /// <summary>A connection refused on connect (too many screens, a session that has ended) hears why.</summary>
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        try
        {
            await next(context);
        }
        catch (ExchangeProblem p)
        {
            logger.LogInformation("Connection refused: {Code}", p.Code);
            throw new HubException($"[{p.Code}] {p.Message}");
        }
        catch (Exception e) when (Storage.DatabaseFaults.IsUnavailable(e))
        {
            logger.LogWarning("Connection refused: the database is unavailable ({Reason})", e.Message);
            throw new HubException("[unavailable] The service is briefly unavailable; try again in a moment.");
        }
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(context);
        }
        catch (ExchangeProblem p)
        {
            logger.LogInformation("{Method} refused: {Code}", context.HubMethodName, p.Code);
            throw new HubException($"[{p.Code}] {p.Message}");
        }
        catch (Video.JanusError e)
        {
            // Janus refused a request the hub built: nothing the caller can fix, but worth a clear message.
            logger.LogWarning("{Method}: Janus refused the request ({JanusCode}): {Reason}", context.HubMethodName, e.Code, e.Message);
            throw new HubException($"[video_error] The video server refused the request ({e.Code}); try again.");
        }
        catch (Exception e) when (Storage.DatabaseFaults.IsUnavailable(e))
        {
            // The database is away (restarting, unreachable): the call did not happen and may be retried.
            logger.LogWarning("{Method} failed: the database is unavailable ({Reason})", context.HubMethodName, e.Message);
            throw new HubException("[unavailable] The service is briefly unavailable; try again in a moment.");
        }
        catch (Exception e) when (e is not HubException and not OperationCanceledException)
        {
            logger.LogError(e, "{Method} failed", context.HubMethodName);
            throw;
        }
    }
}

public static class ProblemExtensions
{
    public static WebApplicationBuilder AddExchangeProblems(this WebApplicationBuilder builder)
    {
        // Every ProblemDetails carries a code the UI can translate, including the framework's own
        // (a JSON body that does not parse, an unknown route).
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            if (!ctx.ProblemDetails.Extensions.ContainsKey("code"))
            {
                ctx.ProblemDetails.Extensions["code"] = ExchangeProblem.CodeFor(ctx.ProblemDetails.Status ?? ctx.HttpContext.Response.StatusCode);
            }
        });
        // In Production, minimal APIs answer a body they cannot bind with a bare 400; throwing lets the
        // exception handler answer it as a ProblemDetails like every other refusal.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<ExchangeProblemHandler>();
        // Failed hub calls are logged by ExchangeProblemHubFilter, refusals without a stack.
        builder.Logging.AddFilter("Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher", LogLevel.Critical);
        return builder;
    }
}
