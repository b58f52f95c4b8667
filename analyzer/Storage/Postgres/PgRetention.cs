using Npgsql;

namespace DmarcAnalyzer.Storage.Postgres;

/// <summary>
/// Retention on PostgreSQL: a month of records or verdicts that lies wholly before the cut-off goes as its partitions are
/// dropped (no row by row delete, no dead rows to vacuum); what is left before the cut-off (the boundary month, the
/// DEFAULT partition, a month holding a report that ends after the cut-off) is deleted row by row, a record's reasons and
/// further results with it (they have no foreign key to cascade from: see migration 13).
/// </summary>
internal static class PgRetention
{
    /// <summary>Drops the partitions of the months that end at or before <paramref name="beforeUtc"/>, in the caller's transaction.</summary>
    public static async Task<DroppedMonths> DropMonthsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long beforeUtc,
        CancellationToken ct)
    {
        // The months before the one the cut-off falls in end at or before it.
        var cutMonth = PgPartitions.MonthOf(beforeUtc);
        var cut = beforeUtc < 0 ? 0 : cutMonth > 0 ? cutMonth : int.MaxValue;
        var recordMonths = new List<int>();
        long records = 0;
        foreach (var month in await PgPartitions.MonthsAsync(connection, transaction, "records", ct))
        {
            if (month >= cut || await EndsLaterAsync(connection, transaction, month, beforeUtc, ct))
                continue;
            records += await CountAsync(connection, transaction, $"records_{month}", ct);
            await ExecuteAsync(connection, transaction,
                $"DROP TABLE IF EXISTS record_reasons_{month}, record_dkim_{month}, record_spf_{month}, records_{month}", ct);
            recordMonths.Add(month);
        }
        var verdictMonths = new List<int>();
        long verdicts = 0;
        foreach (var month in await PgPartitions.MonthsAsync(connection, transaction, "verdicts", ct))
        {
            if (month >= cut)
                continue;
            verdicts += await CountAsync(connection, transaction, $"verdicts_{month}", ct);
            await ExecuteAsync(connection, transaction, $"DROP TABLE verdicts_{month}", ct);
            verdictMonths.Add(month);
        }
        return new DroppedMonths(recordMonths, records, verdictMonths, verdicts);
    }

    /// <summary>Deletes the records left of reports that ended before the cut-off, with their reasons and further results.</summary>
    public static async Task<long> DeleteRecordsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long beforeUtc, CancellationToken ct)
    {
        await using var delete = Pg.Command(connection, """
            WITH gone AS (
                DELETE FROM records WHERE report IN (SELECT id FROM reports WHERE end_utc < @before) RETURNING id, month),
            reasons AS (DELETE FROM record_reasons x USING gone g WHERE x.record = g.id AND x.month = g.month),
            dkim AS (DELETE FROM record_dkim x USING gone g WHERE x.record = g.id AND x.month = g.month),
            spf AS (DELETE FROM record_spf x USING gone g WHERE x.record = g.id AND x.month = g.month)
            SELECT count(*) FROM gone
            """, transaction);
        Pg.Add(delete, "before", beforeUtc);
        return (long)(await delete.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Whether a report that began in <paramref name="month"/> ends at or after the cut-off: its records stay.</summary>
    private static async Task<bool> EndsLaterAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int month, long beforeUtc,
        CancellationToken ct)
    {
        await using var query = Pg.Command(connection,
            "SELECT EXISTS (SELECT 1 FROM reports WHERE begin_utc >= @low AND begin_utc < @high AND end_utc >= @before)", transaction);
        Pg.Add(query, "low", PgPartitions.StartOf(month));
        Pg.Add(query, "high", PgPartitions.StartOf(PgPartitions.After(month)));
        Pg.Add(query, "before", beforeUtc);
        return (bool)(await query.ExecuteScalarAsync(ct))!;
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, CancellationToken ct)
    {
        await using var query = Pg.Command(connection, $"SELECT count(*) FROM {table}", transaction);
        return (long)(await query.ExecuteScalarAsync(ct))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = Pg.Command(connection, sql, transaction);
        await command.ExecuteNonQueryAsync(ct);
    }
}
