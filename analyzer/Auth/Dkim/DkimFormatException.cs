namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>A DKIM-Signature field or key record that breaks RFC 6376 syntax or rules: a permerror.</summary>
internal sealed class DkimFormatException(string message) : Exception(message);
