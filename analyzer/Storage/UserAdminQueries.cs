using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>A user as the user management page lists it: never the password hash.</summary>
internal sealed record UserListRow(string Name, UserRole Role, DateTimeOffset Created, DateTimeOffset? Disabled);

/// <summary>
/// User management by administrators on the dashboard: add, change role, disable or enable, reset the password. Each
/// change is written with its audit entry in one transaction, and none may leave the store without an enabled administrator.
/// Names compare without case on both stores (SQLite: COLLATE NOCASE; PostgreSQL: the unique index on lower(name)), hence
/// lower() in the SQL; adding a name that differs from a stored one only in case finds it already there (ON CONFLICT DO NOTHING).
/// </summary>
internal sealed class UserAdminQueries(DbConnection connection)
{
    // A change to NAME keeps an enabled administrator when some other one exists.
    private const string AnotherAdmin = "EXISTS (SELECT 1 FROM users o WHERE lower(o.name) <> lower(@name) AND o.role = 'admin' AND o.disabled_utc IS NULL)";

    public async Task<IReadOnlyList<UserListRow>> ListAsync(CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT name, role, created_utc, disabled_utc FROM users ORDER BY lower(name), name";
        await using var reader = await query.ExecuteReaderAsync(ct);
        var rows = new List<UserListRow>();
        while (await reader.ReadAsync(ct))
            rows.Add(new UserListRow(reader.GetString(0), reader.GetString(1) == "admin" ? UserRole.Admin : UserRole.Viewer,
                Sql.Time(reader.GetInt64(2)), reader.IsDBNull(3) ? null : Sql.Time(reader.GetInt64(3))));
        return rows;
    }

    public Task<UserChange> AddAsync(string name, UserRole role, string passwordHash, string actor, DateTimeOffset now, CancellationToken ct) =>
        ChangeAsync("""
            INSERT INTO users (name, role, password_hash, created_utc) VALUES (@name, @role, @hash, @now) ON CONFLICT DO NOTHING
            """, name, actor, now, "user added", UserQueries.RoleText(role), UserChange.AlreadyExists, ct,
            ("@role", UserQueries.RoleText(role)), ("@hash", passwordHash));

    public Task<UserChange> SetRoleAsync(string name, UserRole role, string actor, DateTimeOffset now, CancellationToken ct) =>
        ChangeAsync($"UPDATE users SET role = @role WHERE lower(name) = lower(@name) AND (@role = 'admin' OR {AnotherAdmin})",
            name, actor, now, "role changed", UserQueries.RoleText(role), UserChange.LastAdmin, ct, ("@role", UserQueries.RoleText(role)));

    public Task<UserChange> SetDisabledAsync(string name, bool disabled, string actor, DateTimeOffset now, CancellationToken ct) =>
        disabled
            ? ChangeAsync($"UPDATE users SET disabled_utc = @now WHERE lower(name) = lower(@name) AND (role <> 'admin' OR {AnotherAdmin})",
                name, actor, now, "user disabled", null, UserChange.LastAdmin, ct)
            : ChangeAsync("UPDATE users SET disabled_utc = NULL WHERE lower(name) = lower(@name)", name, actor, now, "user enabled", null, UserChange.NoSuchUser, ct);

    /// <summary>Sets a new password and forgets the failed sign-ins, so a locked account can sign in with it.</summary>
    public Task<UserChange> SetPasswordAsync(string name, string passwordHash, string actor, DateTimeOffset now, CancellationToken ct) =>
        ChangeAsync("UPDATE users SET password_hash = @hash WHERE lower(name) = lower(@name); DELETE FROM sign_in_failures WHERE lower(user_name) = lower(@name)",
            name, actor, now, "password reset", null, UserChange.NoSuchUser, ct, ("@hash", passwordHash));

    private async Task<UserChange> ChangeAsync(string sql, string name, string actor, DateTimeOffset now, string action, string? detail,
        UserChange whenNothing, CancellationToken ct, params (string Name, object Value)[] values)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var exists = connection.CreateCommand();
        exists.Transaction = transaction;
        exists.CommandText = "SELECT count(*) FROM users WHERE lower(name) = lower(@name)";
        Sql.Add(exists, "@name", name);
        var known = Convert.ToInt64(await exists.ExecuteScalarAsync(ct)) > 0;
        if (!known && whenNothing != UserChange.AlreadyExists)
            return UserChange.NoSuchUser;
        await using var change = connection.CreateCommand();
        change.Transaction = transaction;
        change.CommandText = sql;
        Sql.Add(change, "@name", name);
        Sql.Add(change, "@now", now.ToUnixTimeSeconds());
        foreach (var (key, value) in values)
            Sql.Add(change, key, value);
        if (await change.ExecuteNonQueryAsync(ct) == 0)
            return whenNothing;
        await AuditQueries.AddAsync(transaction, now, actor, action, name, detail, ct);
        await transaction.CommitAsync(ct);
        return UserChange.Done;
    }
}
