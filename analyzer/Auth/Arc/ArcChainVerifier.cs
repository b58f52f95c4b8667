using System.Globalization;
using DmarcAnalyzer.Dns;
using MimeKit;
using MimeKit.Cryptography;

namespace DmarcAnalyzer.Auth.Arc;

/// <summary>
/// Validates a message's ARC chain (RFC 8617 §5.2) with MimeKit's <see cref="ArcVerifier"/>, which checks the sets'
/// structure (instances 1..N without gaps or duplicates, at most 50, cv= none on the first and pass after), the
/// newest ARC-Message-Signature and every ARC-Seal, with RFC 8301's rules (no rsa-sha1, RSA keys of 1024 bits or
/// more; tested in ArcVerifierRulesTests). On top of it: temperror when a failure is a DNS temporary error only, and
/// the oldest instance whose ARC-Message-Signature still verifies, which MimeKit does not compute.
/// </summary>
internal sealed class ArcChainVerifier(IDnsResolver dns)
{
    /// <summary>RFC 8617 §4.2.1: instance numbers run from 1 to 50.</summary>
    public const int MaxSets = 50;

    public async Task<ArcResult> VerifyAsync(MimeMessage message, CancellationToken ct)
    {
        var locator = new ArcKeyLocator(dns);
        var result = await new ArcVerifier(locator).VerifyAsync(message, ct);
        // MimeKit turns every exception into a failed signature, our deadline's cancellation too.
        ct.ThrowIfCancellationRequested();
        // MimeKit drops ARC fields it cannot number (i= missing, unreadable or outside 1..50) and then reports no chain
        // (ArcVerifierRulesTests.InstanceAbove50IsRefused); RFC 8617 §5.2 makes such a chain fail.
        if (result.Chain == ArcSignatureValidationResult.None)
            return message.Headers.Any(IsArc) ? new ArcResult(ArcChainState.Fail, 0, "ARC fields without a valid instance (i= from 1 to 50)") : ArcResult.None;
        var sets = result.Seals?.Length ?? 0;
        var newestSeal = result.Seals is { Length: > 0 } seals ? seals[^1].Header : null;
        var sealer = newestSeal is null ? null : Tag(newestSeal, "d");
        var hop = sets > 0 ? NewestResults(message, sets) : null;
        if (result.Chain == ArcSignatureValidationResult.Pass)
        {
            var oldest = sets == 1 ? 1 : await OldestPassAsync(message, sets, ct);
            return new ArcResult(ArcChainState.Pass, sets, null, sealer, hop, oldest);
        }
        if (TemporaryOnly(result, locator) is { } temporary)
            return new ArcResult(ArcChainState.TempError, sets, temporary, sealer, hop);
        return new ArcResult(ArcChainState.Fail, sets, Why(result), sealer, hop);
    }

    /// <summary>
    /// RFC 8617 §5.2 step 6: the oldest instance whose ARC-Message-Signature verifies over the message as it is now.
    /// Each older signature is checked by MimeKit as the newest of a copy without the later sets; at most a few sets
    /// are seen in practice, so this costs one body hash and one key per set.
    /// </summary>
    private async Task<int> OldestPassAsync(MimeMessage message, int sets, CancellationToken ct)
    {
        var oldest = sets;
        for (var instance = sets - 1; instance >= 1; instance--)
        {
            var copy = WithoutSetsAfter(message, instance);
            var result = await new ArcVerifier(new ArcKeyLocator(dns)).VerifyAsync(copy, ct);
            ct.ThrowIfCancellationRequested();
            if (result.MessageSignature?.Signature != ArcSignatureValidationResult.Pass)
                break;
            oldest = instance;
        }
        return oldest;
    }

    /// <summary>The message as it left hop <paramref name="instance"/>, as far as ARC fields go: a copy without the later sets.</summary>
    private static MimeMessage WithoutSetsAfter(MimeMessage message, int instance)
    {
        using var raw = new MemoryStream();
        message.WriteTo(raw);
        raw.Position = 0;
        var copy = MimeMessage.Load(raw);
        foreach (var later in copy.Headers.Where(h => IsArc(h) && Instance(h) > instance).ToList())
            copy.Headers.Remove(later);
        return copy;
    }

    /// <summary>A failure that is a DNS temporary error only (every failed signature's key lookup was one): its reason, else null.</summary>
    private static string? TemporaryOnly(ArcValidationResult result, ArcKeyLocator locator)
    {
        const ArcValidationErrors SignatureErrors = ArcValidationErrors.MessageSignatureValidationFailed | ArcValidationErrors.SealValidationFailed;
        if ((result.ChainErrors & ~SignatureErrors) != 0)
            return null;
        var failed = (result.Seals ?? []).Append(result.MessageSignature)
            .Where(r => r is not null && r.Signature == ArcSignatureValidationResult.Fail)
            .Select(r => locator.TemporaryError(Tag(r!.Header, "d") ?? "", Tag(r.Header, "s") ?? ""))
            .ToList();
        return failed.Count > 0 && failed.All(e => e is not null) ? failed[0] : null;
    }

    private static string Why(ArcValidationResult result)
    {
        var errors = result.ChainErrors;
        if (errors.HasFlag(ArcValidationErrors.SealValidationFailed) && result.Seals is { } seals)
            return $"ARC-Seal i={Array.FindLastIndex(seals, s => s.Signature == ArcSignatureValidationResult.Fail) + 1} does not verify";
        if (errors.HasFlag(ArcValidationErrors.MessageSignatureValidationFailed))
            return $"ARC-Message-Signature i={result.Seals?.Length} does not verify";
        if (errors.HasFlag(ArcValidationErrors.InvalidArcSealChainValidationValue))
            return "an ARC-Seal has a cv= other than none on i=1 and pass after (or the newest says fail)";
        return errors switch
        {
            _ when errors.HasFlag(ArcValidationErrors.DuplicateArcSeal) || errors.HasFlag(ArcValidationErrors.DuplicateArcMessageSignature)
                || errors.HasFlag(ArcValidationErrors.DuplicateArcAuthenticationResults) => "two ARC fields of one kind with the same instance",
            _ when errors.HasFlag(ArcValidationErrors.MissingArcSeal) || errors.HasFlag(ArcValidationErrors.MissingArcMessageSignature)
                || errors.HasFlag(ArcValidationErrors.MissingArcAuthenticationResults) => "an ARC set is incomplete or missing",
            _ => $"malformed ARC field ({errors})",
        };
    }

    /// <summary>The newest set's ARC-Authentication-Results, parsed; null when it cannot be.</summary>
    private static ArcHopResults? NewestResults(MimeMessage message, int sets) =>
        message.Headers.FirstOrDefault(h => h.Id == HeaderId.ArcAuthenticationResults && Instance(h) == sets) is { } field
            ? ArcHopResults.Parse(field)
            : null;

    private static bool IsArc(Header h) => h.Id is HeaderId.ArcSeal or HeaderId.ArcMessageSignature or HeaderId.ArcAuthenticationResults;

    /// <summary>The i= of an ARC field; in ARC-Authentication-Results it leads the value (RFC 8617 §4.1.1).</summary>
    private static int? Instance(Header h) =>
        int.TryParse(Tag(h, "i"), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;

    /// <summary>A tag's value (RFC 6376 §3.2 tag-list); the first tag of ARC-Authentication-Results is i= as well.</summary>
    private static string? Tag(Header h, string name)
    {
        foreach (var part in h.Value.Split(';'))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part[..eq].Trim().Equals(name, StringComparison.Ordinal))
                return string.Concat(part[(eq + 1)..].Where(c => !char.IsWhiteSpace(c)));
        }
        return null;
    }
}
