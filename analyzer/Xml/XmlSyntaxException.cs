namespace DmarcAnalyzer.Xml;

/// <summary>
/// A document that <see cref="Utf8XmlReader"/> refuses as not well-formed XML 1.0 (or as a DTD). The message
/// is complete for a person and names the line; <see cref="LineNumber"/> is that line, counted from 1.
/// </summary>
internal sealed class XmlSyntaxException(string message, int lineNumber)
    : Exception($"{message} (line {lineNumber})")
{
    public int LineNumber { get; } = lineNumber;
}
