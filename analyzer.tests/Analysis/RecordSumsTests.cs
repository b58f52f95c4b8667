using System.Text;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Tests.Analysis;

public class RecordSumsTests
{
    [Fact]
    public void SumsPerSliceAddressAndFlagsAndMergesAnotherPartByAddressText()
    {
        var newer = new RecordSums();
        newer.Add(0, "192.0.2.1"u8, 3, 10);
        newer.Add(0, "192.0.2.1"u8, 3, 5);
        newer.Add(1, "192.0.2.1"u8, 3, 1);
        var older = new RecordSums();
        older.Add(0, "2001:db8::1"u8, 0, 7);
        older.Add(0, "192.0.2.1"u8, 3, 100);
        older.Add(0, Encoding.UTF8.GetBytes(new string('x', 300)), 0, 2);

        newer.Add(older);

        var sums = newer.Sums.ToDictionary(s => (s.Key.Slice, newer.Ip(s.Key.Ip), s.Key.Flags), s => s.Value);
        Assert.Equal(4, sums.Count);
        Assert.Equal(115, sums[(0, "192.0.2.1", 3)]);
        Assert.Equal(1, sums[(1, "192.0.2.1", 3)]);
        Assert.Equal(7, sums[(0, "2001:db8::1", 0)]);
        Assert.Equal(2, sums[(0, new string('x', 300), 0)]);
    }

    [Fact]
    public void SumsSigningDomainsPerAddressAndMergesThemByTextSaturating()
    {
        var newer = new RecordSums();
        newer.Add(0, "192.0.2.1"u8, 0, 10, "esp.example"u8);
        newer.Add(1, "192.0.2.1"u8, 0, 5, "esp.example"u8);
        newer.Add(0, "192.0.2.1"u8, 0, 7);
        newer.Add(0, "192.0.2.2"u8, 0, RecordQueries.MaxSignedMessages, "big.example"u8);
        var older = new RecordSums();
        older.Add(0, "192.0.2.3"u8, 0, 1, "other.example"u8);
        older.Add(0, "192.0.2.1"u8, 0, 2, "esp.example"u8);
        older.Add(0, "192.0.2.2"u8, 0, 1, "big.example"u8);

        newer.Add(older);

        var signers = newer.Signers.ToDictionary(s => (newer.Ip(s.Key.Ip), newer.Domain(s.Key.Domain)), s => s.Value);
        Assert.Equal(3, signers.Count);
        Assert.Equal(17, signers[("192.0.2.1", "esp.example")]);
        Assert.Equal(RecordQueries.MaxSignedMessages, signers[("192.0.2.2", "big.example")]);
        Assert.Equal(1, signers[("192.0.2.3", "other.example")]);
        Assert.Equal(24, newer.Sums.Where(s => newer.Ip(s.Key.Ip) == "192.0.2.1").Sum(s => s.Value));
    }
}
