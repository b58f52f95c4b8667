using System.Net;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Auth.Spf;

/// <summary>The mail-auth test format's rules, on small files of our own.</summary>
public sealed class MailAuthSpfSuiteLoaderTests
{
    private const string TwoDocuments = """
        name: First
        records:
          spf: test.org v=spf1 -all
          mx: test.org 192.0.2.1, 2001:db8::1
        tests:
          - domain: test.org
            sender: a@test.org
            ip: 192.0.2.1
            expect: fail Not allowed
        ---
        name: Second
        records:
          spf: test.org v=spf1 mx -all
        tests:
          - domain: test.org
            sender:
            ip: 2001:db8::1
            expect: pass
            ip: 192.0.2.9
            expect: fail
        """;

    [Fact]
    public void EachTestSeesTheRecordsSetBeforeIt()
    {
        var suite = Load(TwoDocuments);

        Assert.Equal(["0/First#1", "1/Second#1", "1/Second#2"], suite.Scenarios.Select(s => s.Id));
        var (first, second, third) = (suite.Scenarios[0], suite.Scenarios[1], suite.Scenarios[2]);
        Assert.Equal(("fail", "Not allowed", "a@test.org"), (first.Result, first.Explanation, first.Sender));
        Assert.Equal(("pass", null, "", IPAddress.Parse("2001:db8::1")), (second.Result, second.Explanation, second.Sender, second.Ip));
        Assert.Equal(third.Zone, second.Zone);
        Assert.NotEqual(first.Zone, second.Zone);
        // The MX set carries on across "---"; the spf line replaced the TXT record.
        Assert.True(suite.Zones[second.Zone].TryGet("test.org", out var node));
        Assert.Equal(3, node.Records.Count);
        Assert.Single(node.Records, r => r.Type == (ushort)DnsType.Txt);
    }

    [Theory]
    [InlineData("a: test.org 2001:db8::1\nexpect: pass", "2001:db8::1 is not of the record's address family")]
    [InlineData("spf: test.org\nexpect: pass", "expected 'spf: NAME VALUE'")]
    [InlineData("txt: test.org v=spf1\nexpect: pass", "unknown key 'txt'")]
    [InlineData("ip: 192.0.2.300", "An invalid IP address was specified.")]
    public void BadLinesAreRefusedWithTheirLineNumber(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => Load(text));

        Assert.Contains(":1: " + message, e.Message);
    }

    private static MailAuthSpfSuite Load(string text)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, text);
            return MailAuthSpfSuite.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
