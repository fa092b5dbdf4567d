using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace LiveExchange.Hub.Storage;

/// <summary>
/// Which failures mean "the database is away" (restarting, unreachable, shutting down): the call did
/// not take effect and the caller may retry it. These become a clear, retryable error instead of a
/// 500 or a hub fault; a bug in our SQL does not.
/// </summary>
public static class DatabaseFaults
{
    public static bool IsUnavailable(Exception e) => e switch
    {
        NpgsqlException { IsTransient: true } => true,
        // 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 08xxx connection exceptions.
        PostgresException p => p.SqlState is "57P01" or "57P02" or "57P03" || p.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException { InnerException: IOException or SocketException or TimeoutException } => true,
        SqliteException { SqliteErrorCode: 5 or 6 } => true, // SQLITE_BUSY, SQLITE_LOCKED past the busy timeout
        TimeoutException => true,
        _ when e.InnerException is { } inner && inner != e => IsUnavailable(inner),
        _ => false,
    };
}
