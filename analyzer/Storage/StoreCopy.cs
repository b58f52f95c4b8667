using System.Buffers.Binary;
using System.Data.Common;
using System.IO.Hashing;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using DmarcAnalyzer.Storage.Postgres;
using NpgsqlTypes;

namespace DmarcAnalyzer.Storage;

/// <summary>One table copied: rows read and written, and whether the two stores' checksums of its rows agree.</summary>
internal sealed record TableCopy(string Table, long Rows, long RowsInTarget, bool ChecksumsAgree)
{
    public bool Verified => Rows == RowsInTarget && ChecksumsAgree;
}

/// <summary>
/// <c>dmarc db copy</c>: every row of one store into another, empty one (SQLite into PostgreSQL, and back), in one
/// transaction of the target, then verified table by table: the rows counted again in the target and a checksum of
/// every row's values (the columns both stores have, as the same integers, texts and bytes) computed on both sides.
/// The checksum is a sum of row hashes, so it does not depend on the order the rows are read in.
/// </summary>
internal static class StoreCopy
{
    /// <summary>Parents before the tables that refer to them. A table not named here stops the copy: a new migration adds it here.</summary>
    public static readonly IReadOnlyList<string> Tables =
    [
        "reports", "records", "record_reasons", "record_dkim", "record_spf", "report_results", "failure_blobs", "failures", "ptr_cache",
        "verdicts", "outbox", "tls_reports", "tls_policies", "tls_failure_details", "failure_reports", "network_cache", "outgoing_reports",
        "alert_state", "users", "sign_in_failures", "audit", "archive_exceptions", "published_records", "digests_sent", "known_senders",
    ];

    /// <summary>Tables with no key of their own in SQLite: read in rowid order (PostgreSQL: id order), so that the copy keeps the report's order.</summary>
    private static readonly HashSet<string> RowidOrdered = ["record_reasons", "record_dkim", "record_spf"];

    public static async Task<IReadOnlyList<TableCopy>> CopyAsync(Store from, Store to, CancellationToken ct)
    {
        var source = from.Connection;
        var target = to.Connection;
        var tables = await TablesAsync(source, from.Kind, ct);
        var unknown = tables.Except(Tables).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException($"the source store has tables this dmarc does not copy: {string.Join(", ", unknown)}");
        foreach (var table in Tables)
        {
            if (await CountAsync(target, table, ct) > 0)
                throw new InvalidOperationException($"the target store is not empty (table {table} has rows): copy into a new database");
        }
        var copied = new List<(string Table, string[] Columns, long Rows, ulong Sum)>();
        await using (var transaction = await target.BeginTransactionAsync(ct))
        {
            foreach (var table in Tables.Where(tables.Contains))
            {
                var targetColumns = await ColumnsAsync(target, to.Kind, table, ct);
                var columns = (await ColumnsAsync(source, from.Kind, table, ct)).Intersect(targetColumns).ToArray();
                if (target is NpgsqlConnection postgres)
                    await MakePartitionsAsync(source, from.Kind, postgres, table, ct);
                var (rows, sum) = to.Kind == StoreKind.Postgres
                    ? await CopyToPostgresAsync(source, (NpgsqlConnection)target, from.Kind, table, columns,
                        targetColumns.Contains("month") && !columns.Contains("month") ? ReportBegin(table) : null, ct)
                    : await CopyToSqliteAsync(source, (SqliteConnection)target, transaction, from.Kind, table, columns, ct);
                copied.Add((table, columns, rows, sum));
            }
            if (to.Kind == StoreKind.Postgres)
                await ResetIdentitiesAsync(target, copied.Where(c => c.Columns.Contains("id")).Select(c => c.Table), ct);
            await transaction.CommitAsync(ct);
        }
        var results = new List<TableCopy>();
        foreach (var (table, columns, rows, sum) in copied)
        {
            var (targetRows, targetSum) = await ChecksumAsync(target, to.Kind, table, columns, ct);
            results.Add(new TableCopy(table, rows, targetRows, sum == targetSum));
        }
        return results;
    }

    private static async Task<HashSet<string>> TablesAsync(DbConnection connection, StoreKind kind, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = kind == StoreKind.Postgres
            ? """
              SELECT relname FROM pg_class
              WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') AND NOT relispartition AND relname <> 'dmarc_schema'
              """
            : "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%'";
        await using var reader = await query.ExecuteReaderAsync(ct);
        var tables = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
            tables.Add(reader.GetString(0));
        return tables;
    }

    private static async Task<List<string>> ColumnsAsync(DbConnection connection, StoreKind kind, string table, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = kind == StoreKind.Postgres
            ? "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table ORDER BY ordinal_position"
            : "SELECT name FROM pragma_table_info(@table) ORDER BY cid";
        Sql.Add(query, "@table", table);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var columns = new List<string>();
        while (await reader.ReadAsync(ct))
            columns.Add(reader.GetString(0));
        return columns;
    }

    private static async Task<long> CountAsync(DbConnection connection, string table, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = $"SELECT count(*) FROM {table}";
        try
        {
            return Convert.ToInt64(await query.ExecuteScalarAsync(ct));
        }
        catch (Exception e) when (StoreErrors.IsTheStores(e))
        {
            // A table the target's schema does not have: nothing in it.
            return 0;
        }
    }

    /// <summary>
    /// The monthly partitions (PostgreSQL, migration 13) a table's rows will go to, made before they are copied so that
    /// none lands in the DEFAULT partition: the months of the reports (copied first) for the records and the rows hanging
    /// off them, the source's verdicts' months for the verdicts.
    /// </summary>
    private static async Task MakePartitionsAsync(DbConnection source, StoreKind sourceKind, NpgsqlConnection target, string table,
        CancellationToken ct)
    {
        if (table == "records")
        {
            await using var command = new NpgsqlCommand(
                "SELECT dmarc_records_month(month) FROM (SELECT DISTINCT dmarc_month_of(begin_utc) AS month FROM reports) AS m", target);
            await command.ExecuteNonQueryAsync(ct);
        }
        else if (table == "verdicts")
        {
            var months = new List<int>();
            await using (var query = source.CreateCommand())
            {
                query.CommandText = sourceKind == StoreKind.Postgres
                    ? "SELECT DISTINCT dmarc_month_of(time_utc) FROM verdicts"
                    : "SELECT DISTINCT CAST(strftime('%Y%m', time_utc, 'unixepoch') AS INTEGER) FROM verdicts WHERE time_utc BETWEEN 0 AND 253402300799";
                await using var reader = await query.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                    months.Add(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
            }
            foreach (var month in months)
                await PgPartitions.EnsureVerdictsMonthAsync(target, null, month, ct);
        }
    }

    /// <summary>
    /// For a store without months (SQLite), the begin of the report a row of records or of a table hanging off them
    /// belongs to, read beside the row: its month is the row's partition on PostgreSQL.
    /// </summary>
    private static string ReportBegin(string table) => table == "records"
        ? "(SELECT begin_utc FROM reports p WHERE p.id = records.report)"
        : $"(SELECT p.begin_utc FROM records r JOIN reports p ON p.id = r.report WHERE r.id = {table}.record)";

    private static string Select(StoreKind kind, string table, string[] columns, string? extra = null) =>
        $"SELECT {string.Join(", ", extra is null ? columns : [.. columns, extra])} FROM {table}"
        + (RowidOrdered.Contains(table) ? kind == StoreKind.Sqlite ? " ORDER BY rowid" : " ORDER BY id" : "");

    private static async Task<(long Rows, ulong Sum)> CopyToPostgresAsync(DbConnection source, NpgsqlConnection target, StoreKind sourceKind,
        string table, string[] columns, string? reportBegin, CancellationToken ct)
    {
        var types = await PostgresTypesAsync(target, table, ct);
        await using var query = source.CreateCommand();
        query.CommandText = Select(sourceKind, table, columns, reportBegin);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var targetColumns = reportBegin is null ? columns : [.. columns, "month"];
        await using var copy = await target.BeginBinaryImportAsync($"COPY {table} ({string.Join(", ", targetColumns)}) FROM STDIN (FORMAT BINARY)", ct);
        long rows = 0;
        ulong sum = 0;
        var values = new object?[columns.Length];
        while (await reader.ReadAsync(ct))
        {
            await copy.StartRowAsync(ct);
            for (var i = 0; i < columns.Length; i++)
            {
                values[i] = Value(reader, i, types[columns[i]]);
                if (values[i] is null)
                    await copy.WriteNullAsync(ct);
                else
                    await copy.WriteAsync(values[i], types[columns[i]], ct);
            }
            if (reportBegin is not null)
                await copy.WriteAsync(reader.IsDBNull(columns.Length) ? 0 : PgPartitions.MonthOf(reader.GetInt64(columns.Length)),
                    NpgsqlDbType.Integer, ct);
            sum += RowHash(values);
            rows++;
        }
        await copy.CompleteAsync(ct);
        return (rows, sum);
    }

    private static async Task<(long Rows, ulong Sum)> CopyToSqliteAsync(DbConnection source, SqliteConnection target, DbTransaction transaction,
        StoreKind sourceKind, string table, string[] columns, CancellationToken ct)
    {
        await using var query = source.CreateCommand();
        query.CommandText = Select(sourceKind, table, columns);
        await using var reader = await query.ExecuteReaderAsync(ct);
        await using var insert = target.CreateCommand();
        insert.Transaction = (SqliteTransaction)transaction;
        insert.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})";
        var parameters = columns.Select((_, i) => insert.Parameters.Add($"@p{i}", SqliteType.Text)).ToArray();
        long rows = 0;
        ulong sum = 0;
        var values = new object?[columns.Length];
        while (await reader.ReadAsync(ct))
        {
            for (var i = 0; i < columns.Length; i++)
            {
                values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                parameters[i].SqliteType = values[i] switch { long or int => SqliteType.Integer, byte[] => SqliteType.Blob, _ => SqliteType.Text };
                parameters[i].Value = values[i] ?? DBNull.Value;
            }
            await insert.ExecuteNonQueryAsync(ct);
            sum += RowHash(values);
            rows++;
        }
        return (rows, sum);
    }

    /// <summary>A value as the target column takes it: SQLite gives what its row holds, whatever the column's declared type.</summary>
    private static object? Value(DbDataReader reader, int i, NpgsqlDbType type)
    {
        if (reader.IsDBNull(i))
            return null;
        var value = reader.GetValue(i);
        return type switch
        {
            NpgsqlDbType.Bigint => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
            NpgsqlDbType.Integer => Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture),
            NpgsqlDbType.Boolean => Convert.ToBoolean(value, System.Globalization.CultureInfo.InvariantCulture),
            NpgsqlDbType.Bytea => value as byte[] ?? Encoding.UTF8.GetBytes(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!),
            _ => value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static async Task<Dictionary<string, NpgsqlDbType>> PostgresTypesAsync(NpgsqlConnection connection, string table, CancellationToken ct)
    {
        await using var query = new NpgsqlCommand(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table", connection);
        query.Parameters.AddWithValue("table", table);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var types = new Dictionary<string, NpgsqlDbType>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
            types[reader.GetString(0)] = reader.GetString(1) switch
            {
                "bigint" => NpgsqlDbType.Bigint,
                "integer" => NpgsqlDbType.Integer,
                "boolean" => NpgsqlDbType.Boolean,
                "bytea" => NpgsqlDbType.Bytea,
                _ => NpgsqlDbType.Text,
            };
        return types;
    }

    /// <summary>The identity sequences continue after the ids copied.</summary>
    private static async Task ResetIdentitiesAsync(DbConnection target, IEnumerable<string> tables, CancellationToken ct)
    {
        foreach (var table in tables)
        {
            await using var command = target.CreateCommand();
            command.CommandText = $"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)";
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task<(long Rows, ulong Sum)> ChecksumAsync(DbConnection connection, StoreKind kind, string table, string[] columns,
        CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = Select(kind, table, columns);
        await using var reader = await query.ExecuteReaderAsync(ct);
        long rows = 0;
        ulong sum = 0;
        var values = new object?[columns.Length];
        while (await reader.ReadAsync(ct))
        {
            for (var i = 0; i < columns.Length; i++)
                values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            sum += RowHash(values);
            rows++;
        }
        return (rows, sum);
    }

    /// <summary>XxHash64 of the row's values, each with a tag for its kind: an integer, a text, bytes or none.</summary>
    private static ulong RowHash(object?[] values)
    {
        var hash = new XxHash64();
        Span<byte> number = stackalloc byte[9];
        foreach (var value in values)
        {
            switch (value)
            {
                case null:
                    hash.Append([0]);
                    break;
                case long or int or short or bool:
                    number[0] = 1;
                    BinaryPrimitives.WriteInt64LittleEndian(number[1..], Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                    hash.Append(number);
                    break;
                case byte[] bytes:
                    number[0] = 2;
                    BinaryPrimitives.WriteInt64LittleEndian(number[1..], bytes.Length);
                    hash.Append(number);
                    hash.Append(bytes);
                    break;
                default:
                    var text = Encoding.UTF8.GetBytes(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!);
                    number[0] = 3;
                    BinaryPrimitives.WriteInt64LittleEndian(number[1..], text.Length);
                    hash.Append(number);
                    hash.Append(text);
                    break;
            }
        }
        return hash.GetCurrentHashAsUInt64();
    }
}
