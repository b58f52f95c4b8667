using Microsoft.Data.Sqlite;
using System.Runtime.InteropServices;
using System.Text;
using SQLitePCL;

namespace DmarcAnalyzer.Storage.Fast;

/// <summary>
/// A prepared statement driven through SQLite's own API, for the hot paths (the rows of a large report, the
/// million records of `dmarc report`): values are bound and read without boxing them into parameter objects,
/// and text columns are read as the UTF-8 bytes SQLite holds, so a caller can look them up without
/// allocating a string per row: cheaper per row than SqliteCommand (bench/README.md). It runs inside whatever
/// transaction the connection has open; SQLite's API is synchronous, as are Microsoft.Data.Sqlite's async methods underneath.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    /// <summary>The statement's native handle, for <see cref="SqliteNative"/>; valid while <see cref="_statement"/> is not disposed.</summary>
    private readonly nint _handle;
    /// <summary>
    /// The string (or DBNull for null) each parameter holds (SQLite keeps bindings from one run to the next): the
    /// same instance as the last is not bound again, as the XML reader's repeated short values are.
    /// </summary>
    private readonly object?[] _bound;
    private byte[] _utf8 = new byte[256];

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        _handle = _statement.DangerousGetHandle();
        _bound = new object?[raw.sqlite3_bind_parameter_count(_statement) + 1];
    }

    /// <summary>Numbers are always bound (cheap, and caching them would box one per row).</summary>
    public void Bind(int index, long value)
    {
        Check(SqliteNative.BindInt64(_handle, index, value));
        _bound[index] = null;
    }

    public void Bind(int index, long? value)
    {
        if (value is { } number)
            Bind(index, number);
        else
        {
            Check(SqliteNative.BindNull(_handle, index));
            _bound[index] = null;
        }
    }

    public void Bind(int index, string? value)
    {
        var bound = value ?? (object)DBNull.Value;
        if (ReferenceEquals(_bound[index], bound))
            return;
        // Forgotten first: a bind that fails has already unbound the parameter.
        _bound[index] = null;
        Check(value is null ? SqliteNative.BindNull(_handle, index) : BindText(index, value));
        _bound[index] = bound;
    }

    /// <summary>
    /// The value as UTF-8 from a buffer reused from one call to the next (SQLite copies what is bound), instead of
    /// a new array per value. The buffer is never empty, so an empty string is bound as '' and not as NULL.
    /// </summary>
    private int BindText(int index, string value)
    {
        if (_utf8.Length < value.Length * 3)
            _utf8 = new byte[Math.Max(value.Length * 3, 2 * _utf8.Length)];
        var length = Encoding.UTF8.GetBytes(value, _utf8);
        return SqliteNative.BindText(_handle, index, ref _utf8[0], length, SqliteNative.Transient);
    }

    /// <summary>
    /// Runs the statement with a large blob that SQLite reads where it is instead of copying it first: the array
    /// is pinned for the run only, and unbound before it is let go.
    /// </summary>
    public void ExecuteWithBlob(int index, byte[] blob, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, blob.Length);
        var pin = GCHandle.Alloc(blob, GCHandleType.Pinned);
        try
        {
            Check(SqliteNative.BindBlob(_handle, index, pin.AddrOfPinnedObject(), length, SqliteNative.Static));
            Execute();
        }
        finally
        {
            SqliteNative.BindNull(_handle, index);
            _bound[index] = null;
            pin.Free();
        }
    }

    /// <summary>Runs a statement that returns no rows, ready to run again with new values.</summary>
    public void Execute()
    {
        var result = SqliteNative.Step(_handle);
        SqliteNative.Reset(_handle);
        if (result != raw.SQLITE_DONE)
            Check(result);
    }

    /// <summary>Moves to the next row of a query; false after the last.</summary>
    public bool Step()
    {
        var result = SqliteNative.Step(_handle);
        if (result == raw.SQLITE_ROW)
            return true;
        if (result != raw.SQLITE_DONE)
            Check(result);
        return false;
    }

    /// <summary>Runs a query for its one number (the first column of the first row), ready to run again.</summary>
    public long Scalar()
    {
        var value = Step() ? Int64(0) : 0;
        raw.sqlite3_reset(_statement);
        return value;
    }

    public long Int64(int column) => SqliteNative.ColumnInt64(_handle, column);

    /// <summary>The column's text as UTF-8, valid until the next <see cref="Step"/>; empty for NULL.</summary>
    public ReadOnlySpan<byte> Utf8(int column) => raw.sqlite3_column_blob(_statement, column);

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
            throw new SqliteException($"SQLite error {result}: {raw.sqlite3_errmsg(_db).utf8_to_string()}", result);
    }

    public void Dispose() => _statement.Dispose();
}
