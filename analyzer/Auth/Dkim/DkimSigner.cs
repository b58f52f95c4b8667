using System.Security.Cryptography;
using System.Text;

namespace DmarcAnalyzer.Auth.Dkim;

/// <summary>How to sign. <see cref="Headers"/> defaults to <see cref="DkimSigner.DefaultHeaders"/>, those present only.</summary>
internal sealed record DkimSignerOptions(
    DkimCanonicalization HeaderCanonicalization = DkimCanonicalization.Relaxed,
    DkimCanonicalization BodyCanonicalization = DkimCanonicalization.Relaxed,
    IReadOnlyList<string>? Headers = null,
    bool OverSignFrom = true,
    string? Identity = null,
    long? BodyLength = null,
    TimeSpan? Validity = null);

/// <summary>Makes a DKIM-Signature field for a message (RFC 6376 §5); the body streams through the hasher.</summary>
internal sealed class DkimSigner(DkimSigningKey key, string domain, string selector, DkimSignerOptions? options = null, TimeProvider? time = null)
{
    public static readonly IReadOnlyList<string> DefaultHeaders =
    [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References",
        "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ];

    private const int LineWidth = 76;
    private readonly DkimSignerOptions _options = options ?? new DkimSignerOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The complete field, "DKIM-Signature: ..." folded and ending in CRLF, to put on top of the message.</summary>
    public async Task<string> SignAsync(Stream message, CancellationToken ct)
    {
        var reader = await RawMessageReader.ReadHeaderAsync(message, ct);
        string bodyHash;
        using (var body = new DkimBodyHasher(_options.BodyCanonicalization, _options.BodyLength))
        {
            await reader.ReadBodyAsync((chunk, count) => body.Append(chunk.AsSpan(0, count)), ct);
            var (hash, length) = body.Complete();
            if (_options.BodyLength > length)
                throw new ArgumentException($"l={_options.BodyLength} is longer than the canonical body ({length} bytes)");
            bodyHash = Convert.ToBase64String(hash);
        }

        var present = reader.Fields.Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!present.Contains("From"))
            throw new ArgumentException("the message has no From field, which DKIM must sign (RFC 6376 §5.4)");
        var signed = new List<string>();
        foreach (var name in _options.Headers ?? DefaultHeaders)
        {
            // Each listed instance, bottom up (§5.4.2), as many as the message has.
            var count = reader.Fields.Count(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            for (var n = 0; n < count; n++)
                signed.Add(name.ToLowerInvariant());
        }
        // §8.15: naming From once more than it occurs makes a later-added From break the signature.
        if (_options.OverSignFrom)
            signed.Add("from");

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var tags = new List<string>
        {
            "v=1", $"a={key.Algorithm}",
            $"c={DkimHeaderCanonicalizer.Name(_options.HeaderCanonicalization)}/{DkimHeaderCanonicalizer.Name(_options.BodyCanonicalization)}",
            $"d={domain}", $"s={selector}", $"t={now}",
        };
        if (_options.Validity is { } validity)
            tags.Add($"x={now + (long)validity.TotalSeconds}");
        if (_options.Identity is { } identity)
            tags.Add($"i={QuotedPrintable(identity)}");
        if (_options.BodyLength is { } l)
            tags.Add($"l={l}");
        tags.Add("h=" + string.Join(':', signed));
        tags.Add($"bh={bodyHash}");
        tags.Add("b=");

        var unsignedField = Fold("DKIM-Signature: ", tags);
        var signature = DkimSignature.Parse(unsignedField[(unsignedField.IndexOf(':') + 1)..]);
        var data = DkimVerifier.HeaderData(new RawHeaderField("DKIM-Signature", unsignedField), signature, reader.Fields);
        var b = Convert.ToBase64String(key.SignHash(SHA256.HashData(data)));
        return unsignedField + FoldBase64(b, LastLineLength(unsignedField)) + "\r\n";
    }

    // Folds between tags; the b= value is appended afterwards, so the hashed text is exactly what is sent.
    private static string Fold(string start, IReadOnlyList<string> tags)
    {
        var builder = new StringBuilder(start);
        var column = start.Length;
        for (var n = 0; n < tags.Count; n++)
        {
            var tag = tags[n] + (n < tags.Count - 1 ? ";" : "");
            if (column + tag.Length + 1 > LineWidth && column > start.Length)
            {
                builder.Append("\r\n\t");
                column = 1;
            }
            else if (n > 0)
            {
                builder.Append(' ');
                column++;
            }
            builder.Append(tag);
            column += tag.Length;
        }
        return builder.ToString();
    }

    private static string FoldBase64(string value, int column)
    {
        var builder = new StringBuilder();
        var position = 0;
        while (position < value.Length)
        {
            var room = Math.Max(LineWidth - column, 8);
            var take = Math.Min(room, value.Length - position);
            if (position > 0)
                builder.Append("\r\n\t");
            builder.Append(value, position, take);
            position += take;
            column = 1;
        }
        return builder.ToString();
    }

    // RFC 6376 §2.11: outside %x21-3A / %x3C / %x3E-7E, bytes are written =XX.
    private static string QuotedPrintable(string value)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is >= 0x21 and <= 0x7e && b is not ((byte)';' or (byte)'='))
                builder.Append((char)b);
            else
                builder.Append('=').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    private static int LastLineLength(string text) => text.Length - (text.LastIndexOf('\n') + 1);
}
