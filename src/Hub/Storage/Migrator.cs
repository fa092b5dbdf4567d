using System.Data.Common;
using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;

namespace LiveExchange.Hub.Storage;

/// <summary>
/// Applies the numbered files in Storage/Migrations in order, each in its own transaction, and
/// records them in schema_migrations. Rules: a migration that has landed is never edited, only
/// followed by a new one; each file works on both databases through the placeholders in
/// <see cref="Database.ExpandMigration"/>. Instances starting together on PostgreSQL take an
/// advisory lock, so only one of them migrates.
/// </summary>
internal sealed class Migrator(Database database, ILogger<Migrator> logger, TimeProvider clock)
{
    private const long AdvisoryLockKey = 0x4C69766545786368; // "LiveExch"

    private const string CreateJournal = """
        create table if not exists schema_migrations (
            version bigint primary key,
            name text not null,
            applied_at_ms bigint not null
        )
        """;

    private const string SelectApplied = "select version from schema_migrations";

    private const string InsertApplied = """
        insert into schema_migrations (version, name, applied_at_ms) values (@version, @name, @appliedAtMs)
        """;

    public async Task ApplyAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        if (connection is SqliteConnection)
        {
            // WAL lets readers (snapshots, exports) run while a writer holds the lock.
            await connection.ExecuteAsync("pragma journal_mode = wal");
        }
        else
        {
            await connection.ExecuteAsync("select pg_advisory_lock(@key)", new { key = AdvisoryLockKey });
        }

        try
        {
            await connection.ExecuteAsync(CreateJournal);
            var applied = (await connection.QueryAsync<long>(SelectApplied)).ToHashSet();
            foreach (var (version, name, sql) in Load())
            {
                if (applied.Contains(version))
                {
                    continue;
                }

                await using var tx = await database.BeginWriteAsync(connection, ct);
                await connection.ExecuteAsync(database.ExpandMigration(sql), transaction: tx);
                await connection.ExecuteAsync(InsertApplied,
                    new { version, name, appliedAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx);
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Name} on {Dialect}", name, database.Dialect);
            }
        }
        finally
        {
            if (connection is not SqliteConnection)
            {
                await connection.ExecuteAsync("select pg_advisory_unlock(@key)", new { key = AdvisoryLockKey });
            }
        }
    }

    private static IEnumerable<(long Version, string Name, string Sql)> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var name = n["Migrations.".Length..];
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return (long.Parse(name[..name.IndexOf('_')]), name, reader.ReadToEnd());
            })
            .OrderBy(m => m.Item1);
    }
}
