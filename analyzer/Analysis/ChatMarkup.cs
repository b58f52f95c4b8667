using System.Text;

namespace DmarcAnalyzer.Analysis;

/// <summary>
/// Alert text carries what reports said (domains, addresses, host names), and chat webhooks render their text as
/// markup: a report must not ping a channel (Slack's <c>&lt;!channel&gt;</c>, Mattermost's <c>@channel</c>) or show a
/// link whose text hides its target. Each format gets its own escaping of the text already made one line.
/// </summary>
internal static class ChatMarkup
{
    public static string Escape(WebhookFormat format, string text) => format switch
    {
        // Slack's message formatting: &, < and > are the only control characters, escaped as entities.
        WebhookFormat.Slack => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal),
        WebhookFormat.Mattermost => Markdown(text, entities: false),
        // A MessageCard's text is Markdown with HTML beside it.
        WebhookFormat.Teams => Markdown(text, entities: true),
        _ => text,
    };

    /// <summary>Markdown's punctuation backslash-escaped; an @ that could start a mention is kept from doing so.</summary>
    private static string Markdown(string text, bool entities)
    {
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '<' when entities:
                    builder.Append("&lt;");
                    break;
                case '>' when entities:
                    builder.Append("&gt;");
                    break;
                case '&' when entities:
                    builder.Append("&amp;");
                    break;
                case '@':
                    // A word joiner (U+2060, invisible) after @: "@channel" still reads as text, but is no mention.
                    builder.Append("@\u2060");
                    break;
                case '\\' or '`' or '*' or '_' or '~' or '[' or ']' or '(' or ')' or '#' or '|' or '!' or '<' or '>':
                    builder.Append('\\').Append(c);
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }
        return builder.ToString();
    }
}
