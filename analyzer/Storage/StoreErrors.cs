using Microsoft.Data.Sqlite;
using Npgsql;

namespace DmarcAnalyzer.Storage;

/// <summary>Which exceptions are the store's own, for the rooms that must tell them from their inputs' errors.</summary>
internal static class StoreErrors
{
    // SQLite primary result codes (https://sqlite.org/rescode.html) that mean "not this row".
    private const int SqliteTooBig = 18;
    private const int SqliteConstraint = 19;
    private const int SqliteMismatch = 20;

    /// <summary>An error of the store itself (disk full, database locked, corrupt or read-only): no other input could be stored either.</summary>
    /// <remarks>On PostgreSQL also the server being away (a socket error, a timeout): the same for every input.</remarks>
    public static bool IsTheStores(Exception e) => e is SqliteException or NpgsqlException;

    /// <summary>The store refused the values of the one row written (constraint or trigger, too big, type mismatch).</summary>
    public static bool IsRefusal(Exception e) =>
        e is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) is SqliteConstraint or SqliteTooBig or SqliteMismatch
        // PostgreSQL's SQLSTATE classes 22 (data exception: a NUL in text, bad encoding, out of range) and 23 (integrity).
        || e is PostgresException postgres && (postgres.SqlState.StartsWith("22", StringComparison.Ordinal) || postgres.SqlState.StartsWith("23", StringComparison.Ordinal));

    /// <summary>A unique key refused the row: the values are another row's identity.</summary>
    public static bool IsDuplicateKey(Exception e) =>
        e is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) == SqliteConstraint
        || e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
