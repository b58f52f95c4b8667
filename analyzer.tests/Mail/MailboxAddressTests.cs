using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

public class MailboxAddressTests
{
    [Theory]
    [InlineData("john@example.com", null, "john", "example.com")]
    [InlineData("John Doe <john@example.com>", "John Doe", "john", "example.com")]
    [InlineData("\"Joe Q. Public\" <john.q.public@example.com>", "Joe Q. Public", "john.q.public", "example.com")]
    [InlineData("John Q. Public <jqp@example.com>", "John Q. Public", "jqp", "example.com")]
    [InlineData("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", "Pete", "pete", "silly.test")]
    [InlineData("\"a b\\\"c\"@example.com", null, "a b\"c", "example.com")]
    [InlineData("<@route1,@route2:user@example.org>", null, "user", "example.org")]
    [InlineData("user@[192.0.2.1]", null, "user", "[192.0.2.1]")]
    [InlineData("joe@example.com (Joe Example)", null, "joe", "example.com")]
    [InlineData("=?utf-8?q?J=C3=B6rg?= =?utf-8?q?_M=C3=BCller?= <jm@example.de>", "Jörg Müller", "jm", "example.de")]
    [InlineData("\"=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=\" <jp@example.jp>", "日本語", "jp", "example.jp")]
    [InlineData("Jörg <jörg@bücher.example>", "Jörg", "jörg", "bücher.example")]
    [InlineData("  <postmaster@example.net>  ", null, "postmaster", "example.net")]
    public void ParsesOneMailbox(string value, string? displayName, string localPart, string domain) =>
        Assert.Equal(new MailAddress(displayName, localPart, domain), Assert.Single(MailboxAddress.ParseList(value)));

    [Fact]
    public void ParsesListsAndGroups()
    {
        var addresses = MailboxAddress.ParseList(
            "Mary Smith <mary@x.test>, jdoe@example.org, A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Undisclosed recipients:;");
        Assert.Equal(["mary@x.test", "jdoe@example.org", "c@a.test", "joe@where.test", "jdoe@one.test"], addresses.Select(a => a.Address));
        Assert.Equal("Ed Jones", addresses[2].DisplayName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not an address")]
    [InlineData("Undisclosed recipients:;")]
    [InlineData("<no-domain>")]
    [InlineData("broken@")]
    public void MalformedEntriesAreSkipped(string value) =>
        Assert.Empty(MailboxAddress.ParseList(value));

    [Fact]
    public async Task EncodedWordInDisplayNameCannotInjectAnAddress()
    {
        var message = await MimeText.ParseAsync("From: =?utf-8?q?x=40evil.example?= <a@victim.example>\n\n");
        var from = Assert.Single(MailboxAddress.ParseList(message.Headers.First("From")!.RawValue));
        Assert.Equal("victim.example", from.Domain);
        Assert.Equal("x@evil.example", from.DisplayName);
    }

    [Fact]
    public void FoldedValueIsUnfolded() =>
        Assert.Equal("example.com", Assert.Single(MailboxAddress.ParseList("Some\r\n Body <a@example.com>")).Domain);
}
