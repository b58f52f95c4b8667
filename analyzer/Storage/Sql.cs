using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>Small helpers the report writers and queries share.</summary>
internal static class Sql
{
    /// <summary>A parameter by name (written @name in the SQL, which both SQLite and PostgreSQL read).</summary>
    public static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    public static string? Text(DbDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    /// <summary>
    /// sum(<paramref name="expression"/>), saturated at 9e18 instead of failing: reports' counts come from strangers. SQLite's
    /// total() is a float sum (no integer overflow error); PostgreSQL's sum of bigint is numeric, which cannot overflow.
    /// </summary>
    public static string SaturatedSum(DbConnection connection, string expression) => connection is Microsoft.Data.Sqlite.SqliteConnection
        ? $"CAST(min(total({expression}), 9e18) AS INTEGER)"
        : $"CAST(least(coalesce(sum({expression}), 0), 9e18) AS BIGINT)";

    public static DateTimeOffset Time(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);
}
