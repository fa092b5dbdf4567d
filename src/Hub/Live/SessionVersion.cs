using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;

namespace LiveExchange.Hub.Live;

/// <summary>
/// Every change a client sees bumps its session's version inside the change's own transaction.
/// The update locks the session row, so changes to one session are numbered one after another
/// whichever instance makes them, and a snapshot read in one transaction matches its version.
/// </summary>
internal static class SessionVersion
{
    private const string Bump = "update sessions set version = version + 1 where id = @sessionId returning version";

    public static Task<long> BumpAsync(DbConnection connection, DbTransaction tx, long sessionId) =>
        connection.QuerySingleAsync<long>(Bump, new { sessionId }, tx);
}

internal static class BroadcastExtensions
{
    /// <summary>
    /// A change is committed before it is broadcast. If the broadcast fails (Redis away), the caller
    /// still succeeded: clients catch up through the version gap on the next event, or on reconnect.
    /// Reporting an error would make the host retry and store the change twice.
    /// </summary>
    public static async Task SentOrLogged(this Task send, ILogger logger)
    {
        try
        {
            await send;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "A committed change could not be broadcast; clients resync on their next event.");
        }
    }
}
