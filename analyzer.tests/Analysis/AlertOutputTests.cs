using DmarcAnalyzer.Analysis;
using MimeKit;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>
/// An alert's domain and text carry what reports said: one line on the terminal (scripts parse <c>alert: RULE DOMAIN:
/// text</c>), in the mail and in each chat, and no markup that pings a channel or hides a link.
/// </summary>
public sealed class AlertOutputTests
{
    private const string Hostile = "evil.example\r\nalert: silence *: forged\u001b[31m <!channel> @channel [click](https://evil.example/) <https://evil.example|bank>";

    private static readonly Alert Forged = new(AlertRule.NewSource, Hostile, "203.0.113.9", "new source " + Hostile);

    [Fact]
    public void TheContractLineStaysOneLineWithoutControls()
    {
        var line = Forged.Line;
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\u001b', line);
        Assert.StartsWith("alert: new-source evil.example\uFFFD\uFFFDalert: silence", line);
    }

    [Fact]
    public void TheMailListsOneLineAnAlertAndCountsWhatItLeavesOut()
    {
        var alerts = Enumerable.Range(0, AlertChannels.MaxListed + 7).Select(i => Forged with { Key = i.ToString() }).ToList();
        var mail = AlertChannels.Mail(alerts, [MailboxAddress.Parse("ops@example.org")]);
        var lines = mail.TextBody!.TrimEnd('\n').Split('\n');
        Assert.Equal(AlertChannels.MaxListed + 1, lines.Length);
        Assert.All(lines[..^1], l => Assert.StartsWith("alert: new-source evil.example", l));
        Assert.Equal("… and 7 more alerts: dmarc alert --dry-run lists them all", lines[^1]);
        Assert.DoesNotContain('\n', AlertChannels.Mail([Forged], []).Subject!);
    }

    [Theory]
    [InlineData("slack", "&lt;!channel&gt;", "<!channel>")]
    [InlineData("slack", "&lt;https://evil.example|bank&gt;", "<https://evil.example|bank>")]
    [InlineData("mattermost", "@\u2060channel", "@channel")]
    [InlineData("mattermost", "\\[click\\]\\(https://evil.example/\\)", "[click](")]
    [InlineData("teams", "\\[click\\]\\(https://evil.example/\\)", "[click](")]
    [InlineData("teams", "&lt;https://evil.example", "<https:")]
    public void EachChatGetsTheTextEscapedForItsMarkup(string format, string escaped, string live)
    {
        var text = AlertChannels.Payload(Enum.Parse<WebhookFormat>(format, ignoreCase: true), [Forged])["text"]!.GetValue<string>();
        Assert.Contains(escaped, text);
        Assert.DoesNotContain(live, text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', text);
    }

    [Fact]
    public void JsonKeepsEveryAlertOneLineEach()
    {
        var alerts = AlertChannels.Payload(WebhookFormat.Json, [Forged])["alerts"]!.AsArray();
        var domain = Assert.Single(alerts)!["domain"]!.GetValue<string>();
        Assert.DoesNotContain('\n', domain);
        Assert.StartsWith("evil.example", domain);
    }
}
