using System.Net;
using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Dns;

public sealed class DnsOptionsTests
{
    [Fact]
    public void ReadsServersAndOptionsFromResolvConf()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# comment\nsearch example.com\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions timeout:2 attempts:3\n");

            var options = DnsOptions.FromResolvConf(path);

            Assert.Equal([new IPEndPoint(IPAddress.Parse("192.0.2.53"), 53), new IPEndPoint(IPAddress.Parse("2001:db8::53"), 53)], options.Servers);
            Assert.Equal(TimeSpan.FromSeconds(2), options.Timeout);
            Assert.Equal(2, options.Retries);
            Assert.False(options.Offline);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WithoutNameserverLinesTheLocalServerIsAsked()
    {
        var options = DnsOptions.FromResolvConf("/nonexistent/resolv.conf");

        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 53)], options.Servers);
    }

    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1:53")]
    [InlineData("192.0.2.1:5353", "192.0.2.1:5353")]
    [InlineData("[2001:db8::1]:5353", "[2001:db8::1]:5353")]
    [InlineData("2001:db8::1", "[2001:db8::1]:53")]
    public void ParsesServerAddresses(string text, string expected)
    {
        Assert.Equal(expected, DnsOptions.ParseServer(text).ToString());
    }

    [Fact]
    public void RefusesAHostNameAsServer()
    {
        Assert.Throws<FormatException>(() => DnsOptions.ParseServer("dns.example"));
    }
}
