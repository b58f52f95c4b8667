using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>A parsed DKIM-Signature field (RFC 6376 §3.5), checked against the rules a verifier must apply (§6.1.1).</summary>
internal sealed record DkimSignature(
    string Algorithm,
    byte[] Signature,
    string SignatureBase64,
    byte[] BodyHash,
    DkimCanonicalization HeaderCanonicalization,
    DkimCanonicalization BodyCanonicalization,
    string Domain,
    IReadOnlyList<string> SignedHeaders,
    string Identity,
    long? BodyLength,
    string Selector,
    DateTimeOffset? Timestamp,
    DateTimeOffset? Expiration)
{
    public const string RsaSha256 = "rsa-sha256";
    public const string Ed25519Sha256 = "ed25519-sha256";
    public const string RsaSha1 = "rsa-sha1";

    /// <summary>A bound on h= so that one signature cannot make header hashing unbounded work.</summary>
    public const int MaxSignedHeaders = 1000;

    /// <summary>The hash of a=: SHA-1 for rsa-sha1, else SHA-256.</summary>
    public HashAlgorithmName Hash => Algorithm == RsaSha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;

    /// <summary>The key record's name for that hash (its h= tag).</summary>
    public string HashName => Algorithm == RsaSha1 ? "sha1" : "sha256";

    /// <summary>Parses the field's value. Throws <see cref="DkimFormatException"/> on any §6.1.1 violation.</summary>
    public static DkimSignature Parse(string value) => Parse(DkimTagList.Parse(value));

    public static DkimSignature Parse(DkimTagList tags)
    {
        foreach (var required in new[] { "v", "a", "b", "bh", "d", "h", "s" })
            if (!tags.Contains(required))
                throw new DkimFormatException($"missing required tag {required}=");
        if (tags["v"] != "1")
            throw new DkimFormatException($"unsupported version v={tags["v"]}");

        var algorithm = tags["a"]!.ToLowerInvariant();
        if (algorithm is not (RsaSha256 or Ed25519Sha256 or RsaSha1))
            throw new DkimFormatException($"unknown algorithm a={tags["a"]}");

        var (headerCanon, bodyCanon) = ParseCanonicalization(tags["c"]);
        var domain = tags["d"]!.TrimEnd('.').ToLowerInvariant();
        if (domain.Length == 0)
            throw new DkimFormatException("empty d=");
        var selector = tags["s"]!.ToLowerInvariant();
        if (selector.Length == 0)
            throw new DkimFormatException("empty s=");

        var signedHeaders = tags["h"]!.Split(':')
            .Select(h => DkimTagList.WithoutWhitespace(h))
            .ToList();
        if (signedHeaders.Any(h => h.Length == 0))
            throw new DkimFormatException("empty header name in h=");
        if (signedHeaders.Count > MaxSignedHeaders)
            throw new DkimFormatException($"h= names more than {MaxSignedHeaders} fields");
        // §5.4: the From field MUST be signed.
        if (!signedHeaders.Any(h => h.Equals("from", StringComparison.OrdinalIgnoreCase)))
            throw new DkimFormatException("h= does not include From");

        var identity = tags["i"] is { } i ? DecodeQuotedPrintable(i) : "@" + domain;
        var at = identity.LastIndexOf('@');
        if (at < 0)
            throw new DkimFormatException("i= has no '@'");
        var identityDomain = identity[(at + 1)..].TrimEnd('.').ToLowerInvariant();
        // §3.5 i=: the domain of i= must be d= or a subdomain of it.
        if (identityDomain != domain && !identityDomain.EndsWith("." + domain, StringComparison.Ordinal))
            throw new DkimFormatException($"i= domain {identityDomain} is not within d={domain}");

        if (tags["q"] is { } q && !q.Split(':').Any(m => DkimTagList.WithoutWhitespace(m).Equals("dns/txt", StringComparison.OrdinalIgnoreCase)))
            throw new DkimFormatException($"no supported query method in q={q}");

        var bodyLength = tags["l"] is { } l ? ParseNumber(l, "l") : (long?)null;
        var timestamp = tags["t"] is { } t ? FromUnix(ParseNumber(t, "t")) : (DateTimeOffset?)null;
        var expiration = tags["x"] is { } x ? FromUnix(ParseNumber(x, "x")) : (DateTimeOffset?)null;
        if (timestamp is { } ts && expiration is { } ex && ex < ts)
            throw new DkimFormatException("x= is earlier than t=");

        var b64 = DkimTagList.WithoutWhitespace(tags["b"]!);
        return new DkimSignature(
            algorithm, Base64(b64, "b"), b64, Base64(DkimTagList.WithoutWhitespace(tags["bh"]!), "bh"),
            headerCanon, bodyCanon, domain, signedHeaders, identity, bodyLength, selector, timestamp, expiration);
    }

    /// <summary>
    /// The field with the value of its b= tag removed, as §3.7 hashes it. Works on the raw text so that
    /// folding and spacing stay exactly as signed.
    /// </summary>
    public static string WithoutSignatureValue(string rawField)
    {
        var colon = rawField.IndexOf(':');
        var builder = new StringBuilder(rawField.Length);
        builder.Append(rawField, 0, colon + 1);
        var specs = rawField[(colon + 1)..].Split(';');
        for (var n = 0; n < specs.Length; n++)
        {
            if (n > 0)
                builder.Append(';');
            var spec = specs[n];
            var equals = spec.IndexOf('=');
            if (equals >= 0 && spec[..equals].Trim(' ', '\t', '\r', '\n') == "b")
                builder.Append(spec, 0, equals + 1);
            else
                builder.Append(spec);
        }
        return builder.ToString();
    }

    private static (DkimCanonicalization, DkimCanonicalization) ParseCanonicalization(string? c)
    {
        if (c is null)
            return (DkimCanonicalization.Simple, DkimCanonicalization.Simple);
        var parts = c.Split('/');
        if (parts.Length > 2)
            throw new DkimFormatException($"invalid c={c}");
        // §3.5 c=: a missing body algorithm means simple.
        return (DkimHeaderCanonicalizer.Parse(parts[0]),
                parts.Length == 2 ? DkimHeaderCanonicalizer.Parse(parts[1]) : DkimCanonicalization.Simple);
    }

    private static long ParseNumber(string text, string tag)
    {
        // §3.5: l=, t= and x= are at most 76 decimal digits; anything over a long is not a usable value here.
        if (text.Length == 0 || !text.All(char.IsAsciiDigit)
            || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new DkimFormatException($"invalid {tag}={text}");
        return value;
    }

    private static DateTimeOffset FromUnix(long seconds) =>
        seconds > 253402300799 ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeSeconds(seconds);

    private static byte[] Base64(string text, string tag)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new DkimFormatException($"{tag}= is not valid base64");
        }
    }

    // §2.11 dkim-quoted-printable: "=XX" hex escapes.
    private static string DecodeQuotedPrintable(string text)
    {
        text = DkimTagList.WithoutWhitespace(text);
        if (!text.Contains('='))
            return text;
        var bytes = new List<byte>(text.Length);
        for (var n = 0; n < text.Length; n++)
        {
            if (text[n] == '=' && n + 2 < text.Length && byte.TryParse(text.AsSpan(n + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                n += 2;
            }
            else if (text[n] == '=')
            {
                throw new DkimFormatException("invalid quoted-printable escape in i=");
            }
            else
            {
                bytes.Add((byte)text[n]);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
