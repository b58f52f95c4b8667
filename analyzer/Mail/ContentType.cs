namespace DmarcAnalyzer.Mail;

/// <summary>A parsed Content-Type (RFC 2045 §5), lower-cased type and subtype, decoded parameters.</summary>
internal sealed class ContentType
{
    private static readonly IReadOnlyDictionary<string, string> NoParameters =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>RFC 2045 §5.2: what a missing or unusable Content-Type means.</summary>
    public static ContentType TextPlain { get; } = new("text", "plain", NoParameters);

    /// <summary>RFC 2046 §5.1.5: the default for parts of multipart/digest.</summary>
    public static ContentType MessageRfc822 { get; } = new("message", "rfc822", NoParameters);

    public ContentType(string mediaType, string subType, IReadOnlyDictionary<string, string> parameters)
    {
        MediaType = mediaType;
        SubType = subType;
        Parameters = parameters;
    }

    public string MediaType { get; }

    public string SubType { get; }

    public string MimeType => MediaType + "/" + SubType;

    public IReadOnlyDictionary<string, string> Parameters { get; }

    public string? Charset => Parameters.GetValueOrDefault("charset");

    public string? Boundary => Parameters.GetValueOrDefault("boundary");

    public string? Name => Parameters.GetValueOrDefault("name");

    public bool Is(string mediaType, string subType) =>
        MediaType == mediaType && SubType == subType;

    public override string ToString() => MimeType;

    /// <summary>Parses a header value; null or a value without a usable type gives <paramref name="fallback"/>.</summary>
    public static ContentType Parse(string? value, ContentType fallback)
    {
        if (value is null)
            return fallback;
        var (token, parameters) = HeaderParameters.Parse(value);
        var slash = token.IndexOf('/');
        if (slash > 0 && slash < token.Length - 1)
        {
            // "text/plain charset=x" (a forgotten ';') still names text/plain.
            var subType = token[(slash + 1)..].Trim().Split([' ', '\t'], 2)[0];
            return new ContentType(token[..slash].Trim(), subType, parameters);
        }
        // "Content-Type: text" appears in the wild; anything else unusable means text/plain (RFC 2045 §5.2).
        return new ContentType("text", "plain", parameters);
    }
}
