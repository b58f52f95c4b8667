using System.Text;
using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// What ingest stores in <c>records.flags</c> and <c>records.own_signer</c> (migration 14): the flags the analysis reads
/// per record (<see cref="RecordFlags"/>), computed once when the record is stored, since a stored record never changes.
/// Rows stored before are filled by the same rules in SQL (<see cref="RecordQueries.FillFlagsSql"/>, and
/// <c>PgRecordQueries</c>'s); a test holds the three to the same figures.
/// </summary>
internal static class IngestedFlags
{
    /// <summary>The record's flags, with <see cref="RecordFlags.FurtherOwnSigners"/>; <paramref name="ownSigner"/>: the first DKIM
    /// result's domain when it is a signing domain of the sender's own, else null.</summary>
    public static int Of(ReportRecord r, out string? ownSigner)
    {
        var flags = (r.DkimEvaluated == "pass" ? RecordFlags.DkimAligned : 0)
                    | (r.SpfEvaluated == "pass" ? RecordFlags.SpfAligned : 0)
                    | Disposition(r.Disposition) << RecordFlags.DispositionShift;
        ownSigner = r.Dkim.Length > 0 && IsOwnSignature(r.Dkim[0], r.HeaderFrom) ? r.Dkim[0].Domain : null;
        for (var i = 1; i < r.Dkim.Length; i++)
        {
            if (IsOwnSignature(r.Dkim[i], r.HeaderFrom))
            {
                flags |= RecordFlags.FurtherOwnSigners;
                break;
            }
        }
        if ((flags & (RecordFlags.DkimAligned | RecordFlags.SpfAligned)) != 0)
            return flags;
        foreach (var reason in r.Reasons)
        {
            if (reason.Type == "local_policy" && reason.Comment is { } comment && NamesArcPass(comment))
                flags |= RecordFlags.Forwarded | RecordFlags.ArcAccepted;
            else if (reason.Type is "forwarded" or "trusted_forwarder" or "mailing_list")
                flags |= RecordFlags.Forwarded;
        }
        // Relayed mail whose signature survived: SPF failed while a DKIM signature of the From domain's family verified.
        if (r.Spf.Any(s => s.Result == "fail") && r.Dkim.Any(d => IsFromDomainPass(d, r.HeaderFrom)))
            flags |= RecordFlags.Forwarded;
        if (r.Dkim.Any(d => IsOwnSignature(d, r.HeaderFrom)))
            flags |= RecordFlags.OwnDkimPass;
        return flags;
    }

    /// <summary>The dispositions of RFC 9990 by their code (<see cref="RecordFlags.Dispositions"/>); anything else is "other".</summary>
    private static int Disposition(string? disposition) => disposition switch
    {
        "none" => 0,
        "quarantine" => 1,
        "reject" => 2,
        _ => 3,
    };

    private static bool IsOwnSignature(DkimAuthResult d, string? headerFrom) => d.Result == "pass" && !IsFromDomainPass(d, headerFrom);

    /// <summary>A DKIM pass for the From domain, a parent or a child of it (values are stored lower-cased).</summary>
    private static bool IsFromDomainPass(DkimAuthResult d, string? headerFrom) =>
        d.Result == "pass" && headerFrom is not null
                           && (d.Domain == headerFrom || IsSubdomain(d.Domain, headerFrom) || IsSubdomain(headerFrom, d.Domain));

    private static bool IsSubdomain(string child, string parent) =>
        child.Length > parent.Length && child[child.Length - parent.Length - 1] == '.' && child.EndsWith(parent, StringComparison.Ordinal);

    /// <summary>Google and Microsoft write local_policy "arc=pass" for a passing ARC chain; ASCII letters in any case, as SQLite's LIKE.</summary>
    private static bool NamesArcPass(string comment)
    {
        const string ArcPass = "arc=pass";
        for (var i = 0; i + ArcPass.Length <= comment.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(comment.AsSpan(i, ArcPass.Length), ArcPass))
                return true;
        }
        return false;
    }
}
