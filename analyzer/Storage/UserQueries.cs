using System.Data.Common;

namespace DmarcAnalyzer.Storage;

internal sealed record UserRow(string Name, UserRole Role, string PasswordHash);

/// <summary>The dashboard's local users and their failed sign-ins (the lockout counts them).</summary>
internal sealed class UserQueries(DbConnection connection)
{
    /// <summary>Adds a user, or replaces the role and password of one that exists; true when the user is new.</summary>
    public async Task<bool> SaveAsync(string name, UserRole role, string passwordHash, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var exists = connection.CreateCommand();
        exists.Transaction = transaction;
        exists.CommandText = "SELECT count(*) FROM users WHERE lower(name) = lower(@name)";
        Sql.Add(exists, "@name", name);
        var isNew = Convert.ToInt64(await exists.ExecuteScalarAsync(ct)) == 0;
        await using var save = connection.CreateCommand();
        save.Transaction = transaction;
        // Names compare without case (SQLite: COLLATE NOCASE; PostgreSQL: a unique index on lower(name)), so the row is
        // found as the lookups find it rather than by ON CONFLICT on the column.
        save.CommandText = isNew
            ? "INSERT INTO users (name, role, password_hash, created_utc) VALUES (@name, @role, @hash, @now)"
            : "UPDATE users SET role = @role, password_hash = @hash WHERE lower(name) = lower(@name)";
        Sql.Add(save, "@name", name);
        Sql.Add(save, "@role", RoleText(role));
        Sql.Add(save, "@hash", passwordHash);
        Sql.Add(save, "@now", now.ToUnixTimeSeconds());
        await save.ExecuteNonQueryAsync(ct);
        await AuditQueries.AddAsync(transaction, now, "cli", isNew ? "user added" : "user changed", name, RoleText(role), ct);
        await transaction.CommitAsync(ct);
        return isNew;
    }

    /// <summary>The user of that name, unless there is none or an administrator has disabled it.</summary>
    public async Task<UserRow?> FindAsync(string name, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT name, role, password_hash FROM users WHERE lower(name) = lower(@name) AND disabled_utc IS NULL";
        Sql.Add(query, "@name", name);
        await using var reader = await query.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return new UserRow(reader.GetString(0), reader.GetString(1) == "admin" ? UserRole.Admin : UserRole.Viewer, reader.GetString(2));
    }

    /// <summary>The times of the failed sign-ins of <paramref name="name"/> since <paramref name="sinceUtc"/>, oldest first.</summary>
    public async Task<IReadOnlyList<long>> FailuresSinceAsync(string name, long sinceUtc, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT time_utc FROM sign_in_failures WHERE lower(user_name) = lower(@name) AND time_utc >= @since ORDER BY time_utc";
        Sql.Add(query, "@name", name);
        Sql.Add(query, "@since", sinceUtc);
        await using var reader = await query.ExecuteReaderAsync(ct);
        var times = new List<long>();
        while (await reader.ReadAsync(ct))
            times.Add(reader.GetInt64(0));
        return times;
    }

    /// <summary>Records a failed sign-in and forgets those older than <paramref name="forgetBeforeUtc"/>.</summary>
    public async Task AddFailureAsync(string name, long timeUtc, long forgetBeforeUtc, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM sign_in_failures WHERE lower(user_name) = lower(@name) AND time_utc < @forget;
            INSERT INTO sign_in_failures (user_name, time_utc) VALUES (@name, @time);
            """;
        Sql.Add(command, "@name", name);
        Sql.Add(command, "@time", timeUtc);
        Sql.Add(command, "@forget", forgetBeforeUtc);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task ClearFailuresAsync(string name, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM sign_in_failures WHERE lower(user_name) = lower(@name)";
        Sql.Add(command, "@name", name);
        await command.ExecuteNonQueryAsync(ct);
    }

    public static string RoleText(UserRole role) => role == UserRole.Admin ? "admin" : "viewer";

    /// <summary>
    /// The enabled user of that name with its stamp (the count of changes to its password, role and enabled state,
    /// kept by the store), read in one statement so the stamp is the one of the hash and role returned; null when
    /// there is no such user or it is disabled.
    /// </summary>
    public async Task<UserCredentials?> CredentialsAsync(string name, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT name, role, password_hash, stamp FROM users WHERE lower(name) = lower(@name) AND disabled_utc IS NULL";
        Sql.Add(query, "@name", name);
        await using var reader = await query.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return new UserCredentials(reader.GetString(0), reader.GetString(1) == "admin" ? UserRole.Admin : UserRole.Viewer, reader.GetString(2), reader.GetInt64(3));
    }

    /// <summary>Forgets the failed sign-ins of every name older than <paramref name="beforeUtc"/>, so names tried once do not pile up.</summary>
    public async Task ForgetFailuresAsync(long beforeUtc, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM sign_in_failures WHERE time_utc < @before";
        Sql.Add(command, "@before", beforeUtc);
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>An enabled user as sign-in checks it: the hash, the role, and the stamp a session carries.</summary>
internal sealed record UserCredentials(string Name, UserRole Role, string PasswordHash, long Stamp);
