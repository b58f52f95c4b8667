using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>One address range (CIDR) or PTR domain of a known sender marked from the dashboard.</summary>
internal sealed record KnownSenderRow(long Id, string Name, KnownSenderKind Kind, string Value, string AddedBy, DateTimeOffset Added);

/// <summary>
/// Known senders kept in the store (marked by administrators on the dashboard), read by the analysis beside the
/// configuration's <c>Analysis:KnownSenders</c>. Each change is written with its audit entry in one transaction.
/// </summary>
internal sealed class KnownSenderQueries(DbConnection connection)
{
    /// <summary>Every entry, by name then value.</summary>
    public async Task<IReadOnlyList<KnownSenderRow>> ListAsync(CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT id, name, kind, value, added_by, added_utc FROM known_senders ORDER BY name, kind, value";
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<KnownSenderRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(new KnownSenderRow(reader.GetInt64(0), reader.GetString(1), Kind(reader.GetString(2)), reader.GetString(3),
                reader.GetString(4), Sql.Time(reader.GetInt64(5))));
        return rows;
    }

    /// <summary>Adds a range or PTR domain under a sender's name; false when that range or domain is already listed.</summary>
    public async Task<bool> AddAsync(string name, KnownSenderKind kind, string value, string addedBy, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO known_senders (name, kind, value, added_by, added_utc) VALUES (@name, @kind, @value, @by, @now)
            ON CONFLICT (kind, value) DO NOTHING
            """;
        Sql.Add(insert, "@name", name);
        Sql.Add(insert, "@kind", KindText(kind));
        Sql.Add(insert, "@value", value);
        Sql.Add(insert, "@by", addedBy);
        Sql.Add(insert, "@now", now.ToUnixTimeSeconds());
        if (await insert.ExecuteNonQueryAsync(ct) == 0)
            return false;
        await AuditQueries.AddAsync(transaction, now, addedBy, "known sender added", name, $"{KindText(kind)} {value}", ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>Removes one entry; false when there is none with that id.</summary>
    public async Task<bool> RemoveAsync(long id, string removedBy, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM known_senders WHERE id = @id RETURNING name, kind, value";
        Sql.Add(delete, "@id", id);
        string name, kind, value;
        await using (var reader = await delete.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
                return false;
            (name, kind, value) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
        }
        await AuditQueries.AddAsync(transaction, now, removedBy, "known sender removed", name, $"{kind} {value}", ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    private static KnownSenderKind Kind(string text) => text == "range" ? KnownSenderKind.Range : KnownSenderKind.PtrDomain;

    private static string KindText(KnownSenderKind kind) => kind == KnownSenderKind.Range ? "range" : "ptr-domain";
}
