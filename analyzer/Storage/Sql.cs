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

    public static DateTimeOffset Time(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);
}
