using System.Globalization;
using Npgsql;

namespace DmarcAnalyzer.Storage.Postgres;

/// <summary>
/// The monthly partitions of records (and their reasons and further results) and verdicts (migration 13). A month is
/// written yyyymm, as <c>dmarc_month_of</c> computes it in SQL; 0 stands for a time outside 1970-9999, whose rows stay in
/// the DEFAULT partition. A writer makes the partition of a month before its first insert into it, in a short transaction
/// of its own: making one locks the parent table, and holding that lock for a whole report's ingest would stop readers.
/// </summary>
internal static class PgPartitions
{
    /// <summary>The last second of 9999-12-31, as in <c>dmarc_month_of</c>.</summary>
    private const long LastSecond = 253_402_300_799;

    public static int MonthOf(long utc)
    {
        if (utc is < 0 or > LastSecond)
            return 0;
        var time = DateTimeOffset.FromUnixTimeSeconds(utc).UtcDateTime;
        return time.Year * 100 + time.Month;
    }

    /// <summary>The first second of <paramref name="month"/>.</summary>
    public static long StartOf(int month) =>
        new DateTimeOffset(month / 100, month % 100, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    public static int After(int month) => month % 100 == 12 ? month + 89 : month + 1;

    /// <summary>Makes the partitions of <paramref name="month"/> of records and the tables hanging off them, if missing.</summary>
    public static Task EnsureRecordsMonthAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, int month, CancellationToken ct) =>
        EnsureAsync(connection, transaction, "SELECT dmarc_records_month(@month)", month, ct);

    /// <summary>Makes the partition of <paramref name="month"/> of verdicts, if missing.</summary>
    public static Task EnsureVerdictsMonthAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, int month, CancellationToken ct) =>
        EnsureAsync(connection, transaction, "SELECT dmarc_verdicts_month(@month)", month, ct);

    private static async Task EnsureAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, int month, CancellationToken ct)
    {
        await using var command = Pg.Command(connection, sql, transaction);
        Pg.Add(command, "month", month);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The months that have a partition of <paramref name="table"/>, read from the catalog (pg_inherits).</summary>
    public static async Task<List<int>> MonthsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string table, CancellationToken ct)
    {
        await using var query = Pg.Command(connection, """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(@table) ORDER BY c.relname
            """, transaction);
        Pg.Add(query, "table", table);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var months = new List<int>();
        while (await reader.ReadAsync(ct))
        {
            var name = reader.GetString(0);
            if (int.TryParse(name.AsSpan(table.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var month))
                months.Add(month);
        }
        return months;
    }
}

