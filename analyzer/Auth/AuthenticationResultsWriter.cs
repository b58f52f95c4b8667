using System.Text;
using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Auth;

/// <summary>
/// Writes the Authentication-Results field (RFC 8601 §2.2) for our checks: spf, one dkim per signature
/// (none when there was none), dmarc, arc (RFC 8617 §10: with header.oldest-pass and smtp.remote-ip). Each resinfo
/// goes on its own folded line.
/// </summary>
internal static class AuthenticationResultsWriter
{
    public const string FieldName = "Authentication-Results";
    private const string Fold = "\r\n\t";

    /// <summary>The field value (what follows "Authentication-Results:"), folded with CRLF TAB.</summary>
    public static string Write(string authservId, SpfOutcome? spf, IReadOnlyList<DkimResult> dkim, DmarcResult? dmarc,
        ArcResult? arc = null, string? remoteIp = null, string? forwardedBy = null)
    {
        var results = new List<string>();
        if (spf is not null)
        {
            var spfResult = new StringBuilder("spf=").Append(spf.Result.Word());
            AppendComment(spfResult, spf.Comment);
            var identity = spf.Identity ?? spf.Domain;
            if (identity.Length > 0)
                spfResult.Append(spf.Scope == SpfIdentity.Helo ? " smtp.helo=" : " smtp.mailfrom=").Append(Value(identity));
            results.Add(spfResult.ToString());
        }

        if (dkim.Count == 0)
            results.Add("dkim=" + DkimResultCode.None.Word());
        foreach (var d in dkim)
        {
            var entry = new StringBuilder("dkim=").Append(d.Result.Word());
            AppendComment(entry, d.Reason);
            if (d.UnsignedBodyBytes is > 0)
                AppendComment(entry, $"l= leaves {d.UnsignedBodyBytes} body bytes unsigned");
            if (d.KeyTesting)
                AppendComment(entry, "key in testing mode");
            if (d.Domain.Length > 0)
                entry.Append(" header.d=").Append(Value(d.Domain));
            if (d.Selector.Length > 0)
                entry.Append(" header.s=").Append(Value(d.Selector));
            if (d.HeaderB is { Length: > 0 } b)
                entry.Append(" header.b=").Append(Value(b));
            results.Add(entry.ToString());
        }

        if (dmarc is not null)
        {
            var entry = new StringBuilder("dmarc=").Append(dmarc.Result.Word());
            if (dmarc.Policy is { } policy)
                AppendComment(entry, $"p={policy.Word()} dis={dmarc.Disposition.Word()}" + (dmarc.Testing ? " t=y" : ""));
            if (dmarc.PercentNote is { } percent)
                AppendComment(entry, percent);
            if (dmarc.Result is not (DmarcResultCode.Pass or DmarcResultCode.Fail))
                AppendComment(entry, dmarc.Reason);
            if (forwardedBy is not null)
                AppendComment(entry, $"arc override: forwarded, ARC chain sealed by trusted {forwardedBy}");
            if (dmarc.FromDomain is not null)
                entry.Append(" header.from=").Append(Value(dmarc.FromDomain));
            if (dmarc.Policy is { } applied)
                entry.Append(" policy.dmarc=").Append(Value(applied.Word()));
            results.Add(entry.ToString());
        }

        if (arc is not null)
        {
            var entry = new StringBuilder("arc=").Append(arc.State.Word());
            if (arc.Sets > 0)
                AppendComment(entry, $"i={arc.Sets}" + (arc.Sealer is null ? "" : $" sealed by {arc.Sealer}"));
            AppendComment(entry, arc.Reason);
            if (arc.OldestPass is { } oldest)
                entry.Append(" header.oldest-pass=").Append(oldest);
            if (!string.IsNullOrEmpty(remoteIp))
                entry.Append(" smtp.remote-ip=").Append(Value(remoteIp));
            results.Add(entry.ToString());
        }

        return Value(authservId) + ";" + Fold + string.Join(";" + Fold, results);
    }

    private static void AppendComment(StringBuilder builder, string? comment)
    {
        if (string.IsNullOrWhiteSpace(comment))
            return;
        builder.Append(" (");
        foreach (var c in comment)
        {
            if (c is '\r' or '\n')
                builder.Append(' ');
            else if (c is '(' or ')' or '\\')
                builder.Append('\\').Append(c);
            else
                builder.Append(c);
        }
        builder.Append(')');
    }

    // RFC 8601 §2.2: a value is a MIME token (RFC 2045 §5.1) or a quoted-string; domains and addresses fit a token
    // except for "@" and "/"/"=" (in header.b), so those are quoted.
    private static string Value(string value)
    {
        if (value.Length > 0 && value.All(IsTokenChar))
            return value;
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\')
                quoted.Append('\\');
            if (c is not ('\r' or '\n'))
                quoted.Append(c);
        }
        return quoted.Append('"').ToString();
    }

    private static bool IsTokenChar(char c) =>
        c > ' ' && c < 127 && "()<>@,;:\\\"/[]?=".IndexOf(c) < 0;
}
