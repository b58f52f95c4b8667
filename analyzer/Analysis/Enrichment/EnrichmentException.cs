namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>A configured database or catalogue cannot be used; the message names the setting and the file.</summary>
internal sealed class EnrichmentException(string message, Exception? inner = null) : Exception(message, inner);
