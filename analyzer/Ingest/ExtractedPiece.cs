using MimeKit;

namespace DmarcAnalyzer.Ingest;

/// <summary>What unpacking one input yields: a report to parse, or a part that could not be read.</summary>
internal abstract record ExtractedPiece(string Where);

/// <param name="Where">Path inside the input ("report.zip › a.xml.gz"), empty for the input itself.</param>
internal sealed record ExtractedXml(string Where, ReadOnlyMemory<byte> Xml) : ExtractedPiece(Where);

/// <summary>An SMTP TLS report's JSON (RFC 8460), inflated.</summary>
internal sealed record ExtractedTlsJson(string Where, ReadOnlyMemory<byte> Json) : ExtractedPiece(Where);

/// <summary>An ARF message (RFC 5965) as parsed, and its raw bytes (kept, and hashed for its identity).</summary>
internal sealed record ExtractedArf(string Where, MimeMessage Message, ReadOnlyMemory<byte> Raw) : ExtractedPiece(Where);

internal sealed record ExtractionFailure(string Where, string Reason) : ExtractedPiece(Where);
