using LiveExchange.Hub.Access;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Sessions;
using LiveExchange.Hub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveExchange.Hub.Polls;

/// <summary>
/// Preparing polls, over HTTP with the host link: it works before joining opens (days before), when the
/// host has no reason to hold a hub connection (which would also count as attendance).
/// </summary>
public static class PollEndpoints
{
    /// <summary>Who may prepare polls. The host today; one place to widen (a moderator).</summary>
    public const string ManagePolicy = ExchangePolicies.Host;

    public static WebApplicationBuilder AddPolls(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<PollBoard>();
        builder.Services.AddSingleton<PollFanout>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PollFanout>());
        return builder;
    }

    public static IEndpointRouteBuilder MapPolls(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sessions/{id:long}/polls").RequireAuthorization(ManagePolicy);
        group.MapGet("", ListAsync);
        group.MapPost("", CreateAsync);
        group.MapPut("/{pollId:long}", EditAsync);
        group.MapDelete("/{pollId:long}", DeleteAsync);
        return app;
    }

    private static async Task<Ok<PollList>> ListAsync(long id, HttpContext http, PollBoard polls, CancellationToken ct)
    {
        RequireOwnSession(http, id);
        return TypedResults.Ok(await polls.ListAsync(id, ct));
    }

    private static async Task<Created<Shared.PollView>> CreateAsync(
        long id, PollDraftInput input, HttpContext http, PollBoard polls, Database database, SessionGate gate, CancellationToken ct)
    {
        await RequireWritableAsync(http, id, database, gate, ct);
        var poll = await polls.CreateAsync(id, input, ct);
        return TypedResults.Created($"/api/sessions/{id}/polls/{poll.Id}", poll);
    }

    private static async Task<Ok<Shared.PollView>> EditAsync(
        long id, long pollId, PollDraftInput input, HttpContext http, PollBoard polls, Database database, SessionGate gate, CancellationToken ct)
    {
        await RequireWritableAsync(http, id, database, gate, ct);
        return TypedResults.Ok(await polls.EditAsync(id, pollId, input, ct));
    }

    private static async Task<NoContent> DeleteAsync(
        long id, long pollId, HttpContext http, PollBoard polls, Database database, SessionGate gate, CancellationToken ct)
    {
        await RequireWritableAsync(http, id, database, gate, ct);
        await polls.DeleteAsync(id, pollId, ct);
        return TypedResults.NoContent();
    }

    private static void RequireOwnSession(HttpContext http, long id)
    {
        if (http.User.SessionId() != id)
        {
            throw ExchangeProblem.Forbidden("forbidden", "Your link is for another session.");
        }
    }

    private static async Task RequireWritableAsync(HttpContext http, long id, Database database, SessionGate gate, CancellationToken ct)
    {
        RequireOwnSession(http, id);
        await using var connection = await database.OpenAsync(ct);
        gate.RequireNotEnded(await SessionGate.LoadAsync(connection, id));
    }
}
