using Microsoft.Data.Sqlite;

namespace DmarcAnalyzer.Storage;

/// <summary>Small helpers the report writers and queries share.</summary>
internal static class Sql
{
    public static void Add(SqliteCommand command, string name, object? value) =>
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);

    public static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    public static DateTimeOffset Time(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds);
}
