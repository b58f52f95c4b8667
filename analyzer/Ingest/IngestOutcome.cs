namespace DmarcAnalyzer.Ingest;

/// <summary>Counts of one or more ingests. <see cref="Records"/> counts the records of new reports.</summary>
internal sealed record IngestOutcome(int New, int Duplicate, int Failed, long Records)
{
    public static readonly IngestOutcome None = new(0, 0, 0, 0);

    public static IngestOutcome operator +(IngestOutcome a, IngestOutcome b) =>
        new(a.New + b.New, a.Duplicate + b.Duplicate, a.Failed + b.Failed, a.Records + b.Records);

    /// <summary>The contract line scripts read (design.md): the last line of <c>ingest</c> and <c>poll --once</c>.</summary>
    public string ToSummaryLine() => $"reports: {New} new, {Duplicate} duplicate, {Failed} failed; records: {Records}";
}
