namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>What the databases say about one address: its autonomous system and organisation, and its country (ISO 3166 code).</summary>
internal sealed record NetworkFacts(long? Asn, string? AsOrg, string? Country)
{
    public static NetworkFacts None { get; } = new(null, null, null);
}
