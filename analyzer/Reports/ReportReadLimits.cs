namespace DmarcAnalyzer.Reports;

/// <summary>The caps the report reader itself applies; the ingest's own limits (<c>Ingest</c> section) carry them.</summary>
internal sealed record ReportReadLimits(int MaxXmlDepth, int MaxRecords)
{
    /// <summary>Element nesting: a report needs six. Records: far more than any real report holds.</summary>
    public static ReportReadLimits Default { get; } = new(64, 5_000_000);
}
