namespace DmarcAnalyzer.Xml;

/// <summary>A document's declared encoding is unknown, refused by .NET, or contradicts the bytes it is written in.</summary>
internal sealed class XmlEncodingException(string message) : Exception(message);
