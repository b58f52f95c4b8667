using Npgsql;

namespace DmarcAnalyzer.Storage.Postgres;

/// <summary>Opens the PostgreSQL store: a pooled data source, its schema brought up to date.</summary>
internal static class PgDatabase
{
    /// <summary>The advisory lock every dmarc process takes while it migrates: two starting at once migrate one after the other.</summary>
    private const long MigrationLock = 0x646d_6172_635f_7367; // "dmarc_sg"

    /// <param name="adjust">Changes to Npgsql's settings for this use (the ingest writer's auto-prepare).</param>
    public static async Task<NpgsqlDataSource> OpenAsync(string database, CancellationToken ct, Action<NpgsqlConnectionStringBuilder>? adjust = null)
    {
        if (PgSchema.Migrations.Count != Schema.Migrations.Count)
            throw new InvalidOperationException(
                $"this dmarc knows {Schema.Migrations.Count} SQLite migrations but {PgSchema.Migrations.Count} PostgreSQL ones: each migration needs both dialects");
        var settings = StoreLocation.Postgres(database);
        adjust?.Invoke(settings);
        var source = NpgsqlDataSource.Create(settings);
        try
        {
            // A store already up to date (every open but the first) is only read: no lock, no write.
            if (await VersionAsync(source, ct) != PgSchema.Migrations.Count)
                await MigrateAsync(source, ct);
            return source;
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }
    }

    /// <summary>The schema version of the store: the migrations applied, 0 for an empty database.</summary>
    public static async Task<int> VersionAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT to_regclass('dmarc_schema') IS NOT NULL", connection);
        if (!(bool)(await command.ExecuteScalarAsync(ct))!)
            return 0;
        command.CommandText = "SELECT version FROM dmarc_schema";
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct) ?? 0);
    }

    /// <summary>Applies the missing migrations in one transaction, under the advisory lock (released at its end).</summary>
    private static async Task MigrateAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@lock)", connection, transaction);
        command.Parameters.AddWithValue("lock", MigrationLock);
        await command.ExecuteNonQueryAsync(ct);
        command.Parameters.Clear();
        command.CommandText = """
            CREATE TABLE IF NOT EXISTS dmarc_schema (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), version integer NOT NULL);
            INSERT INTO dmarc_schema (version) VALUES (0) ON CONFLICT DO NOTHING;
            """;
        await command.ExecuteNonQueryAsync(ct);
        command.CommandText = "SELECT version FROM dmarc_schema";
        var version = Convert.ToInt32(await command.ExecuteScalarAsync(ct));
        if (version > PgSchema.Migrations.Count)
            throw new InvalidOperationException(
                $"the database has schema version {version}, newer than this program knows ({PgSchema.Migrations.Count}); upgrade dmarc");
        for (var i = version; i < PgSchema.Migrations.Count; i++)
        {
            command.CommandText = PgSchema.Migrations[i] + $"; UPDATE dmarc_schema SET version = {i + 1};";
            await command.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }
}
