using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

internal sealed record UserRow(string Name, UserRole Role, string PasswordHash);

/// <summary>The dashboard's local users and their failed sign-ins (the lockout counts them).</summary>
internal sealed class UserQueries(SqliteConnection connection)
{
    /// <summary>Adds a user, or replaces the role and password of one that exists; true when the user is new.</summary>
    public async Task<bool> SaveAsync(string name, UserRole role, string passwordHash, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using var exists = connection.CreateCommand();
        exists.Transaction = transaction;
        exists.CommandText = "SELECT count(*) FROM users WHERE name = $name";
        exists.Parameters.AddWithValue("$name", name);
        var isNew = Convert.ToInt64(await exists.ExecuteScalarAsync(ct)) == 0;
        await using var save = connection.CreateCommand();
        save.Transaction = transaction;
        save.CommandText = """
            INSERT INTO users (name, role, password_hash, created_utc) VALUES ($name, $role, $hash, $now)
            ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash
            """;
        save.Parameters.AddWithValue("$name", name);
        save.Parameters.AddWithValue("$role", RoleText(role));
        save.Parameters.AddWithValue("$hash", passwordHash);
        save.Parameters.AddWithValue("$now", now.ToUnixTimeSeconds());
        await save.ExecuteNonQueryAsync(ct);
        await AuditQueries.AddAsync(transaction, now, "cli", isNew ? "user added" : "user changed", name, RoleText(role), ct);
        await transaction.CommitAsync(ct);
        return isNew;
    }

    /// <summary>The user of that name, unless there is none or an administrator has disabled it.</summary>
    public async Task<UserRow?> FindAsync(string name, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT name, role, password_hash FROM users WHERE name = $name AND disabled_utc IS NULL";
        query.Parameters.AddWithValue("$name", name);
        await using var reader = await query.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return new UserRow(reader.GetString(0), reader.GetString(1) == "admin" ? UserRole.Admin : UserRole.Viewer, reader.GetString(2));
    }

    /// <summary>The times of the failed sign-ins of <paramref name="name"/> since <paramref name="sinceUtc"/>, oldest first.</summary>
    public async Task<IReadOnlyList<long>> FailuresSinceAsync(string name, long sinceUtc, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT time_utc FROM sign_in_failures WHERE user_name = $name AND time_utc >= $since ORDER BY time_utc";
        query.Parameters.AddWithValue("$name", name);
        query.Parameters.AddWithValue("$since", sinceUtc);
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
            DELETE FROM sign_in_failures WHERE user_name = $name AND time_utc < $forget;
            INSERT INTO sign_in_failures (user_name, time_utc) VALUES ($name, $time);
            """;
        command.Parameters.AddWithValue("$name", name);
        command.Parameters.AddWithValue("$time", timeUtc);
        command.Parameters.AddWithValue("$forget", forgetBeforeUtc);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task ClearFailuresAsync(string name, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM sign_in_failures WHERE user_name = $name";
        command.Parameters.AddWithValue("$name", name);
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
