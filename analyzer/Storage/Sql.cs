using System.Data.Common;
using DmarcAnalyzer.Reports;

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

    /// <summary>
    /// The report header's columns as @org, @email, @extra, @rid, @domain, @begin, @end, @adkim, @aspf, @p, @sp, @np, @pct,
    /// @fo, @testing, @discovery, @psd, @generator, @version, @ns and @errors: what a report's row holds of the report itself,
    /// written by ingest and rewritten by <c>dmarc reparse</c>.
    /// </summary>
    public static void AddHeader(DbCommand command, ReportHeader header)
    {
        var m = header.Metadata;
        var p = header.Policy;
        Add(command, "@org", m.OrgName);
        Add(command, "@email", m.Email);
        Add(command, "@extra", m.ExtraContactInfo);
        Add(command, "@rid", m.ReportId);
        Add(command, "@domain", p.Domain);
        Add(command, "@begin", m.Begin.ToUnixTimeSeconds());
        Add(command, "@end", m.End.ToUnixTimeSeconds());
        Add(command, "@adkim", p.Adkim);
        Add(command, "@aspf", p.Aspf);
        Add(command, "@p", p.P);
        Add(command, "@sp", p.Sp);
        Add(command, "@np", p.Np);
        Add(command, "@pct", p.Pct);
        Add(command, "@fo", p.Fo);
        Add(command, "@testing", p.Testing);
        Add(command, "@discovery", p.DiscoveryMethod);
        Add(command, "@psd", p.Psd);
        Add(command, "@generator", m.Generator);
        Add(command, "@version", header.Version);
        Add(command, "@ns", header.XmlNamespace);
        Add(command, "@errors", m.Errors.Count == 0 ? null : string.Join("\n", m.Errors));
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
