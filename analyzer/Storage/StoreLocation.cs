using System.Data.Common;
using System.Text.RegularExpressions;
using Npgsql;

namespace DmarcAnalyzer.Storage;

/// <summary>The database named by <c>--db</c> or <c>Storage:Database</c> is not one the store can open: bad usage.</summary>
internal sealed class StoreLocationException(string message) : Exception(message);

/// <summary>
/// What <c>--db</c> and <c>Storage:Database</c> name: a SQLite file, or a PostgreSQL database as a URL
/// (<c>postgres://user@host:port/db?sslmode=require</c>) or an Npgsql connection string (<c>Host=...;Database=...</c>).
/// The password is never part of it (it would be on a command line or in a process list): it comes from the file named
/// by <c>Password File</c> (what <c>Storage:PasswordFile</c> sets: the password alone), else from PGPASSFILE or
/// ~/.pgpass in PostgreSQL's own format, which Npgsql reads itself.
/// </summary>
internal static partial class StoreLocation
{
    /// <summary>Our keyword in a PostgreSQL connection string: a file holding the password alone.</summary>
    public const string PasswordFileKeyword = "Password File";

    public static bool IsPostgres(string database) =>
        database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || HostKeyword().IsMatch(database);

    /// <summary>The database with <c>Storage:PasswordFile</c> added when it is PostgreSQL; a SQLite path as given.</summary>
    public static string WithPasswordFile(string database, string? passwordFile)
    {
        if (passwordFile is null || !IsPostgres(database))
            return database;
        var builder = new DbConnectionStringBuilder { ConnectionString = ConnectionString(database) };
        builder[PasswordFileKeyword] = Path.GetFullPath(passwordFile);
        return builder.ConnectionString;
    }

    /// <summary>What error messages and output name the database by: the path, or host, port and database (never a password).</summary>
    public static string Describe(string database)
    {
        if (!IsPostgres(database))
            return database;
        var builder = Postgres(database, readPassword: false);
        return $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
    }

    /// <summary>Whether there is a store to read: a SQLite file that exists, or any PostgreSQL database (the server says the rest).</summary>
    public static bool Exists(string database) => IsPostgres(database) || File.Exists(database);

    /// <summary>Npgsql's settings for a PostgreSQL URL or connection string, the password read from its file.</summary>
    public static NpgsqlConnectionStringBuilder Postgres(string database, bool readPassword = true)
    {
        var generic = new DbConnectionStringBuilder { ConnectionString = ConnectionString(database) };
        string? passwordFile = null;
        if (generic.TryGetValue(PasswordFileKeyword, out var file))
        {
            passwordFile = Convert.ToString(file);
            generic.Remove(PasswordFileKeyword);
        }
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(generic.ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new StoreLocationException($"the PostgreSQL connection string is not valid: {e.Message}");
        }
        if (!string.IsNullOrEmpty(builder.Password))
            throw new StoreLocationException(
                "the database names a password: give it in a file (Storage:PasswordFile) or in PGPASSFILE, never on the command line");
        if (string.IsNullOrEmpty(builder.Host))
            throw new StoreLocationException("the PostgreSQL database names no host");
        if (passwordFile is not null && readPassword)
        {
            try
            {
                builder.Password = File.ReadAllText(passwordFile).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StoreLocationException($"the database password file {passwordFile} cannot be read: {e.Message}");
            }
        }
        // Every command is short or keeps one connection per use; the milter's writer reconnects on its own.
        builder.ApplicationName ??= "dmarc";
        return builder;
    }

    /// <summary>A URL made a connection string (<c>postgres://user@host:port/db?key=value</c>); a connection string as given.</summary>
    private static string ConnectionString(string database)
    {
        if (!database.Contains("://", StringComparison.Ordinal))
            return database;
        if (!Uri.TryCreate(database, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
            throw new StoreLocationException("the PostgreSQL URL is not valid: postgres://user@host:port/database");
        var builder = new DbConnectionStringBuilder { ["Host"] = Uri.UnescapeDataString(uri.Host) };
        if (!uri.IsDefaultPort && uri.Port > 0)
            builder["Port"] = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder["Username"] = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1)
                builder["Password"] = Uri.UnescapeDataString(parts[1]);
        }
        var name = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (name.Length > 0)
            builder["Database"] = name;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            // libpq's names for the two settings a URL most often carries.
            builder[key.ToLowerInvariant() switch { "sslmode" => "SSL Mode", "passwordfile" => PasswordFileKeyword, _ => key }] = value;
        }
        return builder.ConnectionString;
    }

    [GeneratedRegex(@"(^|;)\s*(host|server)\s*=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HostKeyword();
}
