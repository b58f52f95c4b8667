namespace DmarcAnalyzer.Reports;

/// <summary>
/// Whether a report's domain can be a domain name at all. The policy domain keys everything a report says (charts,
/// alerts, the dashboard's links): a value with spaces, markup or line breaks in it is no domain, and the report is
/// refused with that reason rather than shown. Letters beyond ASCII are allowed (U-labels, RFC 5890), as are
/// underscores (RFC 8552 names).
/// </summary>
internal static class DomainName
{
    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > 253)
            return false;
        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
                return false;
            foreach (var c in label)
            {
                if (!(char.IsLetterOrDigit(c) || c is '-' or '_'))
                    return false;
            }
        }
        return true;
    }
}
