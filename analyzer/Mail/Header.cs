namespace DmarcAnalyzer.Mail;

/// <summary>
/// One header field. <see cref="RawValue"/> is everything after the colon as received (folds included, the final
/// line break not); <see cref="Raw"/> is the exact original bytes of the whole field with its line breaks, as
/// DKIM (RFC 6376 §3.4) needs them.
/// </summary>
internal sealed record Header(string Name, string RawValue)
{
    public ReadOnlyMemory<byte> Raw { get; init; }

    /// <summary>RFC 5322 §2.2.3 unfolded and trimmed, without decoding: what structured-field parsers read.</summary>
    public string Unfolded => RawValue.Replace("\r", "").Replace("\n", "").Trim();

    /// <summary>Unfolded, trimmed, RFC 2047 encoded words decoded.</summary>
    public string Value => EncodedWords.Decode(Unfolded);
}
