using System.Text;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// Report strings are untrusted: this removes what XML cannot carry (control characters, lone
/// surrogates) and caps the length, before XmlWriter or HtmlEncode escape the rest.
/// </summary>
internal static class SafeText
{
    public static string Clean(string? text, int maxLength = 200)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        var builder = new StringBuilder(Math.Min(text.Length, maxLength + 1));
        for (var i = 0; i < text.Length && builder.Length < maxLength; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }
            builder.Append(char.IsSurrogate(c) || (char.IsControl(c) && c is not ('\t' or '\n' or '\r')) || c is '\uFFFE' or '\uFFFF' ? '\uFFFD' : c);
        }
        if (builder.Length >= maxLength && builder.Length < text.Length)
            builder.Append('…');
        return builder.ToString();
    }
}
