using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Storage.Fast;
using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Tests.Storage;

public class RawStatementTests
{
    /// <summary>A connection to a new in-memory database holding one table.</summary>
    private static async Task<SqliteConnection> TableAsync(string createTable)
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await Database.ExecuteAsync(connection, createTable, TestContext.Current.CancellationToken);
        return connection;
    }

    private static async Task<List<(long Id, string? Text)>> RoundTripAsync(params (long Id, string? Text)[] rows)
    {
        await using var connection = await TableAsync("CREATE TABLE t (id INTEGER, text TEXT)");
        using (var insert = new RawStatement(connection, "INSERT INTO t (id, text) VALUES (?1, ?2)"))
        {
            foreach (var (id, text) in rows)
            {
                insert.Bind(1, id);
                insert.Bind(2, text);
                insert.Execute();
            }
        }
        var read = new List<(long, string?)>();
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT id, text FROM t ORDER BY rowid";
        await using var reader = await select.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            read.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        return read;
    }

    [Fact]
    public async Task EmptyTextStaysEmptyAndNullStaysNull()
    {
        (long, string?)[] rows = [(1, ""), (2, null), (3, ""), (4, "x"), (5, null)];
        Assert.Equal(rows, await RoundTripAsync(rows));
    }

    [Fact]
    public async Task NonAsciiAndLongValuesArriveWhole()
    {
        var pass = "pass";
        var long1 = new string('é', 40_000);
        (long, string?)[] rows = [(1, "Bücher.example"), (2, long1), (3, pass), (4, pass), (5, "日本語"), (6, pass)];
        Assert.Equal(rows, await RoundTripAsync(rows));
    }

    [Fact]
    public async Task ABlobReadInPlaceIsStoredUpToItsLengthAndNotKeptBound()
    {
        await using var connection = await TableAsync("CREATE TABLE t (id INTEGER, data BLOB)");
        var buffer = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        using (var insert = new RawStatement(connection, "INSERT INTO t (id, data) VALUES (?1, ?2)"))
        {
            insert.Bind(1, 1);
            insert.ExecuteWithBlob(2, buffer, 200_000);
            Array.Clear(buffer);
            insert.Bind(1, 2);
            insert.Execute();
        }
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT data FROM t ORDER BY id";
        await using var reader = await select.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.Equal(Enumerable.Range(0, 200_000).Select(i => (byte)i), (byte[])reader.GetValue(0));
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        Assert.True(reader.IsDBNull(0));
    }

    [Fact]
    public async Task AValueThatFailedToBindIsBoundAgainNotTakenAsBound()
    {
        await using var connection = await TableAsync("CREATE TABLE t (text TEXT)");
        using var insert = new RawStatement(connection, "INSERT INTO t (text) VALUES (?1)");
        SQLitePCL.raw.sqlite3_limit(connection.Handle, SQLitePCL.raw.SQLITE_LIMIT_LENGTH, 10);
        var big = new string('x', 50);
        Assert.Throws<SqliteException>(() => insert.Bind(1, big));
        Assert.Throws<SqliteException>(() => insert.Bind(1, big));
    }

    [Fact]
    public async Task AStatementFailureNamesSQLitesReason()
    {
        await using var connection = await TableAsync("CREATE TABLE t (id INTEGER PRIMARY KEY)");
        using var insert = new RawStatement(connection, "INSERT INTO t (id) VALUES (?1)");
        insert.Bind(1, 7);
        insert.Execute();
        var e = Assert.Throws<SqliteException>(insert.Execute);
        Assert.Contains("UNIQUE constraint failed", e.Message);
    }
}
