using System.Data.Common;
using Dapper;

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
