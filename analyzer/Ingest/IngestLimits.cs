using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Tls;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// Caps that keep hostile or broken input (zip and gzip bombs, deep nesting, huge files) bounded in time
/// and memory. Configuration section <c>Ingest</c> overrides each one.
/// </summary>
internal sealed record IngestLimits
{
    /// <summary>Largest input (file or message) read at all.</summary>
    public long MaxInputBytes { get; init; } = 200L * 1024 * 1024;

    /// <summary>Largest report after decompression (a gzip bomb stops here).</summary>
    public long MaxInflatedBytes { get; init; } = 100L * 1024 * 1024;

    /// <summary>Entries read from one zip archive.</summary>
    public int MaxZipEntries { get; init; } = 1_000;

    /// <summary>Containers inside containers: e-mail → zip → gzip → XML is three.</summary>
    public int MaxContainerDepth { get; init; } = 5;

    /// <summary>Element nesting in the XML; a report needs six.</summary>
    public int MaxXmlDepth { get; init; } = ReportReadLimits.Default.MaxXmlDepth;

    /// <summary>Records in one report.</summary>
    public int MaxRecords { get; init; } = ReportReadLimits.Default.MaxRecords;

    /// <summary>The part of these limits the report reader applies.</summary>
    public ReportReadLimits Report => new(MaxXmlDepth, MaxRecords);

    /// <summary>The caps of the SMTP TLS report reader; its failure details are capped like an aggregate report's records.</summary>
    public TlsReadLimits Tls => TlsReadLimits.Default with { MaxDepth = Math.Min(MaxXmlDepth, TlsReadLimits.Default.MaxDepth), MaxFailureDetails = MaxRecords };

    /// <summary>Raw bytes kept for a failure whose input exceeded <see cref="MaxInputBytes"/>.</summary>
    public int MaxStoredFailureBytes { get; init; } = 1024 * 1024;

    public static IngestLimits Default { get; } = new();
}
