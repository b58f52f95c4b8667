using System.Text;

namespace DmarcAnalyzer.Imap;

/// <summary>
/// Mailbox names on the wire (RFC 3501 §5.1.3): printable ASCII stands for itself, <c>&amp;</c> is <c>&amp;-</c>,
/// anything else is UTF-16BE in base64 with <c>,</c> for <c>/</c>, between <c>&amp;</c> and <c>-</c>.
/// </summary>
internal static class ModifiedUtf7
{
    public static string Encode(string name)
    {
        var output = new StringBuilder(name.Length);
        var i = 0;
        while (i < name.Length)
        {
            var c = name[i];
            if (c == '&')
            {
                output.Append("&-");
                i++;
            }
            else if (c is >= ' ' and <= '~')
            {
                output.Append(c);
                i++;
            }
            else
            {
                var start = i;
                while (i < name.Length && name[i] is < ' ' or > '~')
                    i++;
                var utf16 = Encoding.BigEndianUnicode.GetBytes(name[start..i]);
                output.Append('&').Append(Convert.ToBase64String(utf16).TrimEnd('=').Replace('/', ',')).Append('-');
            }
        }
        return output.ToString();
    }

    public static string Decode(string wire)
    {
        var output = new StringBuilder(wire.Length);
        var i = 0;
        while (i < wire.Length)
        {
            var c = wire[i];
            if (c != '&')
            {
                if (c is < ' ' or > '~')
                    throw new FormatException($"mailbox name has a character outside printable ASCII: {wire}");
                output.Append(c);
                i++;
                continue;
            }
            var end = wire.IndexOf('-', i + 1);
            if (end < 0)
                throw new FormatException($"unterminated &-sequence in mailbox name: {wire}");
            var encoded = wire[(i + 1)..end];
            if (encoded.Length == 0)
                output.Append('&');
            else
            {
                var base64 = encoded.Replace(',', '/');
                base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
                byte[] utf16;
                try
                {
                    utf16 = Convert.FromBase64String(base64);
                }
                catch (FormatException)
                {
                    throw new FormatException($"bad base64 in mailbox name: {wire}");
                }
                if (utf16.Length % 2 != 0)
                    throw new FormatException($"odd UTF-16 length in mailbox name: {wire}");
                output.Append(Encoding.BigEndianUnicode.GetString(utf16));
            }
            i = end + 1;
        }
        return output.ToString();
    }
}
