using System.Runtime.InteropServices;

namespace DmarcAnalyzer.Storage.Fast;

/// <summary>
/// The few SQLite calls made per row of a large report or of `dmarc report`'s query, bound directly: through
/// SQLitePCLRaw each call also goes through an interface, a SafeHandle reference count and a marshalling stub,
/// which cost more than binding a short value. The statement handle stays owned (and finalized) by SQLitePCLRaw;
/// see <see cref="RawStatement"/>. The library is the one SQLitePCLRaw.bundle_e_sqlite3 ships.
/// </summary>
internal static class SqliteNative
{
    private const string Library = "e_sqlite3";

    /// <summary>SQLITE_TRANSIENT: SQLite copies the value before the call returns.</summary>
    public static readonly nint Transient = -1;

    /// <summary>SQLITE_STATIC: SQLite reads the value where it is, until it is bound again.</summary>
    public static readonly nint Static = 0;

    // Binding frees the previous value and may allocate for the new one (a system call for a large one), so it
    // keeps its GC transition; only reading a number is trivial enough to go without.
    [DllImport(Library, EntryPoint = "sqlite3_bind_int64")]
    public static extern int BindInt64(nint statement, int index, long value);

    [DllImport(Library, EntryPoint = "sqlite3_bind_null")]
    public static extern int BindNull(nint statement, int index);

    [DllImport(Library, EntryPoint = "sqlite3_bind_text")]
    public static extern int BindText(nint statement, int index, ref byte utf8, int length, nint destructor);

    [DllImport(Library, EntryPoint = "sqlite3_bind_blob")]
    public static extern int BindBlob(nint statement, int index, nint data, int length, nint destructor);

    [DllImport(Library, EntryPoint = "sqlite3_column_int64"), SuppressGCTransition]
    public static extern long ColumnInt64(nint statement, int column);

    // Running a statement does I/O: the GC must be free to run meanwhile.
    [DllImport(Library, EntryPoint = "sqlite3_step")]
    public static extern int Step(nint statement);

    [DllImport(Library, EntryPoint = "sqlite3_reset")]
    public static extern int Reset(nint statement);
}
