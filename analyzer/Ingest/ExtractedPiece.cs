namespace DmarcAnalyzer.Ingest;

/// <summary>What unpacking one input yields: report XML to parse, or a part that could not be read.</summary>
internal abstract record ExtractedPiece(string Where);

/// <param name="Where">Path inside the input ("report.zip › a.xml.gz"), empty for the input itself.</param>
internal sealed record ExtractedXml(string Where, ReadOnlyMemory<byte> Xml) : ExtractedPiece(Where);

internal sealed record ExtractionFailure(string Where, string Reason) : ExtractedPiece(Where);
