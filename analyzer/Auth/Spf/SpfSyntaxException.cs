namespace DmarcAnalyzer.Auth.Spf;

/// <summary>A record that does not follow the RFC 7208 §12 ABNF: check_host() returns permerror (§4.6).</summary>
internal sealed class SpfSyntaxException(string message) : Exception(message);
