using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace DmarcAnalyzer.Auth.Spf;

/// <summary>A parsed SPF record (RFC 7208 §4.6, ABNF in §12): its mechanisms in order and the two known modifiers.</summary>
internal sealed partial record SpfRecord(IReadOnlyList<SpfMechanism> Mechanisms, string? Redirect, string? Explanation)
{
    public const string Version = "v=spf1";

    /// <summary>Record selection (§4.5): "v=spf1" followed by a space or the end of the record.</summary>
    public static bool IsSpf(string txt) =>
        txt.StartsWith(Version, StringComparison.OrdinalIgnoreCase) && (txt.Length == Version.Length || txt[Version.Length] == ' ');

    /// <summary>Parses the whole record; any syntax error anywhere throws, before anything is evaluated (§4.6).</summary>
    public static SpfRecord Parse(string text)
    {
        if (!IsSpf(text))
            throw new SpfSyntaxException("not an SPF record");
        var mechanisms = new List<SpfMechanism>();
        string? redirect = null, explanation = null;
        // §4.6.1: terms are separated by spaces only; any other character is checked by the term's own grammar.
        foreach (var term in text[Version.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = term.IndexOfAny([':', '/', '=']);
            if (separator > 0 && term[separator] == '=')
            {
                var name = term[..separator];
                var value = term[(separator + 1)..];
                if (!ModifierName().IsMatch(name))
                    throw new SpfSyntaxException($"bad modifier name in '{term}'");
                switch (name.ToLowerInvariant())
                {
                    case "redirect":
                        redirect = redirect is null ? DomainSpec(value, term) : throw new SpfSyntaxException("two redirect= modifiers (§6)");
                        break;
                    case "exp":
                        explanation = explanation is null ? DomainSpec(value, term) : throw new SpfSyntaxException("two exp= modifiers (§6)");
                        break;
                    default:
                        SpfMacro.Validate(value, SpfMacroUse.ModifierValue); // §6: unknown modifiers are ignored, but must parse
                        break;
                }
                continue;
            }
            mechanisms.Add(ParseMechanism(term));
        }
        return new SpfRecord(mechanisms, redirect, explanation);
    }

    private static SpfMechanism ParseMechanism(string term)
    {
        var qualifier = term[0] switch
        {
            '+' => SpfResultCode.Pass,
            '-' => SpfResultCode.Fail,
            '~' => SpfResultCode.SoftFail,
            '?' => SpfResultCode.Neutral,
            _ => (SpfResultCode?)null,
        };
        var body = qualifier is null ? term : term[1..];
        var nameEnd = body.IndexOfAny([':', '/']);
        var name = (nameEnd < 0 ? body : body[..nameEnd]).ToLowerInvariant();
        var argument = nameEnd < 0 ? "" : body[nameEnd..];
        var q = qualifier ?? SpfResultCode.Pass;

        switch (name)
        {
            case "all":
                if (argument.Length > 0)
                    throw new SpfSyntaxException($"'all' takes no argument: '{term}'");
                return new SpfMechanism(q, SpfMechanismKind.All, null, 32, 128, null, term);
            case "include":
            case "exists":
                if (!argument.StartsWith(':'))
                    throw new SpfSyntaxException($"'{name}' needs ':domain': '{term}'");
                return new SpfMechanism(q, name == "include" ? SpfMechanismKind.Include : SpfMechanismKind.Exists,
                    DomainSpec(argument[1..], term), 32, 128, null, term);
            case "ptr":
                return new SpfMechanism(q, SpfMechanismKind.Ptr, OptionalDomainSpec(argument, term), 32, 128, null, term);
            case "a":
            case "mx":
            {
                var match = DualCidr().Match(argument);
                var cidr4 = Cidr(match.Groups["v4"], 32, term);
                var cidr6 = Cidr(match.Groups["v6"], 128, term);
                return new SpfMechanism(q, name == "a" ? SpfMechanismKind.A : SpfMechanismKind.Mx,
                    OptionalDomainSpec(match.Groups["spec"].Value, term), cidr4, cidr6, null, term);
            }
            case "ip4":
            case "ip6":
            {
                if (!argument.StartsWith(':'))
                    throw new SpfSyntaxException($"'{name}' needs ':network': '{term}'");
                var slash = argument.IndexOf('/');
                var address = slash < 0 ? argument[1..] : argument[1..slash];
                var v4 = name == "ip4";
                var network = v4 ? ParseIp4(address) : ParseIp6(address);
                if (network is null)
                    throw new SpfSyntaxException($"bad {name} network in '{term}'");
                var max = v4 ? 32 : 128;
                var length = max;
                if (slash >= 0)
                {
                    var digits = argument[(slash + 1)..];
                    if (!CidrDigits().IsMatch(digits) || !int.TryParse(digits, CultureInfo.InvariantCulture, out length) || length > max)
                        throw new SpfSyntaxException($"bad CIDR length in '{term}'");
                }
                return new SpfMechanism(q, v4 ? SpfMechanismKind.Ip4 : SpfMechanismKind.Ip6, null,
                    v4 ? length : 32, v4 ? 128 : length, network, term);
            }
            default:
                throw new SpfSyntaxException($"unknown mechanism '{term}'");
        }
    }

    private static int Cidr(Group group, int max, string term)
    {
        if (!group.Success)
            return max;
        if (!CidrDigits().IsMatch(group.Value) || !int.TryParse(group.Value, CultureInfo.InvariantCulture, out var length) || length > max)
            throw new SpfSyntaxException($"bad CIDR length in '{term}'");
        return length;
    }

    private static string? OptionalDomainSpec(string argument, string term) => argument.Length switch
    {
        0 => null,
        _ when argument[0] == ':' => DomainSpec(argument[1..], term),
        _ => throw new SpfSyntaxException($"bad argument in '{term}'"),
    };

    /// <summary>domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand (§7.1).</summary>
    private static string DomainSpec(string spec, string term)
    {
        if (spec.Length == 0)
            throw new SpfSyntaxException($"empty domain in '{term}'");
        if (SpfMacro.Validate(spec, SpfMacroUse.DomainSpec))
            return spec;
        var trimmed = spec.EndsWith('.') ? spec[..^1] : spec;
        var dot = trimmed.LastIndexOf('.');
        if (dot < 0 || !TopLabel().IsMatch(trimmed[(dot + 1)..]))
            throw new SpfSyntaxException($"bad domain '{spec}' in '{term}' (§7.1 toplabel)");
        return spec;
    }

    /// <summary>ip4-network: exactly four decimal octets (§5.6); .NET's parser would also take "1.2.3" and hex.</summary>
    private static IPAddress? ParseIp4(string text)
    {
        if (!Ip4().IsMatch(text) || !IPAddress.TryParse(text, out var address))
            return null;
        foreach (var part in text.Split('.'))
            if (int.Parse(part, CultureInfo.InvariantCulture) > 255)
                return null;
        return address;
    }

    private static IPAddress? ParseIp6(string text) =>
        text.Contains(':') && !text.Contains('%') && IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6
            ? address
            : null;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]*$")]
    private static partial Regex ModifierName();

    [GeneratedRegex("^(?<spec>.*?)(?:/(?<v4>[0-9]+))?(?://(?<v6>[0-9]+))?$", RegexOptions.Singleline)]
    private static partial Regex DualCidr();

    [GeneratedRegex("^(0|[1-9][0-9]{0,2})$")]
    private static partial Regex CidrDigits();

    [GeneratedRegex("^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$")]
    private static partial Regex Ip4();

    [GeneratedRegex("^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])$")]
    private static partial Regex TopLabel();
}
