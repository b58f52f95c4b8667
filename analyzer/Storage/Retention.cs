using System.Data.Common;
using DmarcAnalyzer.Storage.Postgres;
using Npgsql;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// What <c>dmarc prune --older-than</c> removed; on PostgreSQL also the whole months whose partitions it dropped (yyyymm),
/// whose rows are counted in <see cref="Records"/> and <see cref="Verdicts"/> too.
/// </summary>
internal sealed record PruneResult(long Records, long RawReports, long Verdicts, long Failures, DroppedMonths Dropped);

/// <summary>The whole months retention dropped on PostgreSQL (yyyymm), and the rows that went with them.</summary>
internal sealed record DroppedMonths(IReadOnlyList<int> RecordMonths, long Records, IReadOnlyList<int> VerdictMonths, long Verdicts)
{
    public static readonly DroppedMonths None = new([], 0, [], 0);
}

/// <summary>
/// Retention (<c>dmarc prune --older-than 400d</c>): the records of reports that ended before the cut-off, those reports'
/// raw XML, the milter's verdicts and the unreadable inputs kept from before it. A report's row and its summed result
/// counts (report_results) stay, so the overview over years still counts its messages. One transaction, the same SQL on
/// SQLite and PostgreSQL but for records and verdicts: on SQLite the records' further results and reasons go with them
/// (ON DELETE CASCADE); on PostgreSQL whole months go as partitions first (<see cref="PgRetention"/>).
/// </summary>
internal static class Retention
{
    public static async Task<PruneResult> PruneAsync(Store store, long beforeUtc, CancellationToken ct)
    {
        var connection = store.Connection;
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var dropped = DroppedMonths.None;
        long records;
        if (connection is NpgsqlConnection postgres)
        {
            var pgTransaction = (NpgsqlTransaction)transaction;
            dropped = await PgRetention.DropMonthsAsync(postgres, pgTransaction, beforeUtc, ct);
            records = dropped.Records + await PgRetention.DeleteRecordsAsync(postgres, pgTransaction, beforeUtc, ct);
        }
        else
            records = await ExecuteAsync(connection, transaction,
                "DELETE FROM records WHERE report IN (SELECT id FROM reports WHERE end_utc < @before)", beforeUtc, ct);
        var raw = await ExecuteAsync(connection, transaction,
            "UPDATE reports SET raw_gzip = @empty WHERE end_utc < @before AND length(raw_gzip) > 0", beforeUtc, ct);
        var verdicts = dropped.Verdicts
            + await ExecuteAsync(connection, transaction, "DELETE FROM verdicts WHERE time_utc < @before", beforeUtc, ct);
        var failures = await ExecuteAsync(connection, transaction, "DELETE FROM failures WHERE created_utc < @before", beforeUtc, ct);
        await ExecuteAsync(connection, transaction,
            "DELETE FROM failure_blobs WHERE NOT EXISTS (SELECT 1 FROM failures f WHERE f.sha256 = failure_blobs.sha256)", beforeUtc, ct);
        await transaction.CommitAsync(ct);
        return new PruneResult(records, raw, verdicts, failures, dropped);
    }

    private static async Task<long> ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, long beforeUtc, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        if (sql.Contains("@before", StringComparison.Ordinal))
            Sql.Add(command, "@before", beforeUtc);
        if (sql.Contains("@empty", StringComparison.Ordinal))
            Sql.Add(command, "@empty", Array.Empty<byte>());
        return await command.ExecuteNonQueryAsync(ct);
    }
}
