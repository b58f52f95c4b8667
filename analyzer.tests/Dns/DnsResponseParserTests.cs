using DmarcAnalyzer.Dns;

namespace DmarcAnalyzer.Tests.Dns;

public sealed class DnsResponseParserTests
{
    [Fact]
    public void CompressionPointerLoopIsRefused()
    {
        byte[] message =
        [
            0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
            0xC0, 12, // the question name points at itself
            0, 1, 0, 1,
        ];

        Assert.Throws<DnsFormatException>(() => DnsResponseParser.Parse(message));
    }

    [Fact]
    public void RandomBytesGiveAFormatErrorOrAResponseNeverACrash()
    {
        var random = new Random(7208);
        var header = new byte[] { 0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 1, 0, 0 };
        for (var i = 0; i < 20_000; i++)
        {
            var message = new byte[random.Next(12, 200)];
            random.NextBytes(message);
            if (i % 2 == 0)
                header.CopyTo(message, 0);
            try
            {
                DnsResponseParser.Parse(message);
            }
            catch (DnsFormatException)
            {
                // refused cleanly
            }
        }
    }

    [Fact]
    public void QueryCarriesAnEdns0OptRecord()
    {
        var query = DnsQuery.Build(0x1234, "example.com", DnsType.Txt);

        Assert.Equal([0x12, 0x34], query[..2]);
        Assert.Equal(1, query[11]); // ARCOUNT
        Assert.Equal([0, 0, 41, 0x10, 0x00], query[^11..^6]); // root owner, type OPT, 4096
    }
}
