using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Tests.Reports;

/// <summary>A report read whole, for tests that look at every part of it.</summary>
internal sealed record ParsedReport(ReportHeader Header, List<ReportRecord> Records)
{
    public ReportMetadata Metadata => Header.Metadata;

    public PolicyPublished Policy => Header.Policy;

    public string? XmlNamespace => Header.XmlNamespace;

    public static ParsedReport Parse(ReadOnlyMemory<byte> xml)
    {
        var reader = AggregateReportReader.Open(xml, ReportReadLimits.Default);
        return new ParsedReport(reader.Header, reader.ReadRecords().ToList());
    }
}
