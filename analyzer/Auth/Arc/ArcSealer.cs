using System.Text;
using MimeKit;
using MimeKit.Cryptography;

namespace DmarcAnalyzer.Auth.Arc;

/// <summary>
/// Adds our ARC set (RFC 8617 §5.1) with MimeKit's <see cref="ArcSigner"/>: the ARC-Authentication-Results are our
/// Authentication-Results, cv= follows their arc result. No set is added on a chain that already failed badly enough
/// for MimeKit to refuse it (a cv= other than none/pass), on a chain of 50 sets (§4.2.1), nor when our arc result
/// is temperror: cv= cannot say "not known", and a wrong fail would end the chain for every later hop.
/// </summary>
internal static class ArcSealer
{
    /// <summary>What the ARC-Message-Signature covers: the fields a forwarder must not change (RFC 8617 §4.1.2, RFC 6376 §5.4.1).</summary>
    private static readonly string[] Signed =
    [
        "from", "to", "cc", "subject", "date", "message-id", "reply-to", "in-reply-to", "references",
        "mime-version", "content-type", "content-transfer-encoding", "dkim-signature",
    ];

    /// <summary>
    /// The three fields to put on top of <paramref name="message"/> (the whole message as it will leave us), top
    /// first: ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results; null when no set is added.
    /// </summary>
    public static async Task<IReadOnlyList<(string Name, string Value)>?> SealAsync(ArcSealKey key, Stream message, string authenticationResults,
        DateTimeOffset now, CancellationToken ct)
    {
        if (!AuthenticationResults.TryParse(Encoding.UTF8.GetBytes(authenticationResults), out var results)
            || results.Results.FirstOrDefault(r => r.Method.Equals("arc", StringComparison.OrdinalIgnoreCase)) is not { } arc
            || arc.Result is not ("none" or "pass" or "fail"))
            return null;
        var parsed = await MimeMessage.LoadAsync(message, ct);
        if (parsed.Headers.Count(h => h.Id == HeaderId.ArcSeal) >= ArcChainVerifier.MaxSets)
            return null;
        var before = parsed.Headers.Count;
        var signer = new Signer(key, results, now)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        try
        {
            await signer.SignAsync(parsed, Signed.Where(f => f == "from" || parsed.Headers.Contains(f)).ToList(), ct);
        }
        catch (FormatException)
        {
            // MimeKit will not seal over malformed ARC fields; the chain is broken already and says so without us.
            return null;
        }
        if (parsed.Headers.Count != before + 3)
            return null;
        return parsed.Headers.Take(3).Select(h => (h.Field, Unfolded(h))).ToList();
    }

    /// <summary>The value as MimeKit folded it (with the platform's line end), folded with CRLF, without the leading space and the last line end.</summary>
    private static string Unfolded(Header h) => Encoding.ASCII.GetString(h.RawValue).Trim().ReplaceLineEndings("\r\n");

    private sealed class Signer(ArcSealKey key, AuthenticationResults results, DateTimeOffset now)
        : ArcSigner(key.PrivateKey, key.Domain, key.Selector, key.Algorithm)
    {
        protected override AuthenticationResults GenerateArcAuthenticationResults(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) => results;

        protected override Task<AuthenticationResults> GenerateArcAuthenticationResultsAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
            Task.FromResult(results);

        protected override long GetTimestamp() => now.ToUnixTimeSeconds();
    }
}
