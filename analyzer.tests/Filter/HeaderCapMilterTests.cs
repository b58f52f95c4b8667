using System.Buffers.Binary;
using System.Text;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Milter;
using DmarcAnalyzer.Tests.Auth;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// Fields after the header cap (Filter:Milter:MaxHeaders, 20 here) over the wire: a forged Authentication-Results or
/// a second From placed after padding must still be removed or checked.
/// </summary>
public sealed class HeaderCapMilterTests : IAsyncDisposable
{
    private const string Ours = "mx.example.net";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Tag: the truncated message is delivered, so what its header keeps matters.
    private readonly FilterMilterHarness _filter = new(
        new FakeDnsResolver()
            .Txt("_dmarc.football.example.com", "v=DMARC1; p=reject").A("football.example.com")
            .Txt("football.example.com", "v=spf1 ip4:192.0.2.0/24 -all")
            .Txt("_dmarc.bank.example", "v=DMARC1; p=reject").A("bank.example"),
        new FilterOptions { EncryptedArchiveAction = EncryptedArchiveAction.Tag, Authentication = new AuthenticationOptions { EnforceDmarc = true } },
        new MilterOptions { MaxHeaders = 20 });

    private static IEnumerable<(string, string)> Padding(int count) =>
        Enumerable.Range(0, count).Select(i => ("X-Padding", $"{i}"));

    [Fact]
    public async Task AForgedAuthenticationResultsAfterTheCapIsRemovedByItsIndex()
    {
        var packets = await SendAsync(
        [
            ("From", "Joe <joe@football.example.com>"),
            ("Authentication-Results", $"{Ours}; dkim=pass header.d=football.example.com"),
            .. Padding(30),
            ("Authentication-Results", $"{Ours}; dmarc=pass header.from=football.example.com"),
            ("Authentication-Results", "other.example.org; spf=pass smtp.mailfrom=football.example.com"),
        ]);
        var removed = packets.Where(p => p.Command == 'm').Select(p => (BinaryPrimitives.ReadUInt32BigEndian(p.Data), Field(p.Data[4..]))).ToList();
        Assert.Equal([(2u, "Authentication-Results"), (1u, "Authentication-Results")], removed);
        Assert.Equal('a', packets[^1].Command);
    }

    [Fact]
    public async Task ASecondFromAfterTheCapIsSeenByDmarc()
    {
        // Unseen, the second From would leave the first's DMARC pass standing; RFC 9989 leaves a message of two outside DMARC.
        var packets = await SendAsync([("From", "Joe <joe@football.example.com>"), .. Padding(30), ("From", "CEO <ceo@bank.example>")]);
        var ours = Assert.Single(packets, p => p.Command == 'i');
        Assert.Contains("dmarc=permerror", Encoding.UTF8.GetString(ours.Data));
        Assert.Equal('a', packets[^1].Command);
    }

    [Fact]
    public async Task TooManyFieldsAfterTheCapMakeTheHeaderUnreadable()
    {
        var forged = Enumerable.Repeat(("Authentication-Results", $"{Ours}; dmarc=pass"), MessageSpool.MaxFieldsPastCap + 1);
        var packets = await SendAsync([("From", "Joe <joe@football.example.com>"), .. Padding(30), .. forged]);
        var tag = Assert.Single(packets, p => p.Command == 'h' && Field(p.Data) == "X-Dmarc-Encrypted-Attachment");
        Assert.Contains("its header cannot be read: more than 100 Authentication-Results or From fields", Encoding.UTF8.GetString(tag.Data));
    }

    [Theory]
    [InlineData("X-Padding")]
    [InlineData("Authentication-Results")]
    public async Task HeaderBytesPastMaxHeaderBytesMakeTheMessageTooLargeToInspectAndTheSessionHoldsLittle(string name)
    {
        // Reject: the fail-closed action for what cannot be inspected; 300 fields of 100 KB, each within MaxPacketSize.
        var limits = new MilterOptions();
        await using var filter = new FilterMilterHarness(new FakeDnsResolver()
                .Txt("football.example.com", "v=spf1 ip4:192.0.2.0/24 -all"),
            new FilterOptions { EncryptedArchiveAction = EncryptedArchiveAction.Reject }, limits);
        var value = new string('a', 100 * 1024);
        var (_, reply) = await filter.SendAsync(["j", Ours], "mail.football.example.com", "192.0.2.10",
            [("From", "Joe <joe@football.example.com>"), .. Enumerable.Repeat((name, value), 300)], Ct);

        var final = Assert.Single(reply);
        Assert.Equal('y', final.Command);
        Assert.StartsWith("550 ", Encoding.ASCII.GetString(final.Data));
        // 30 MB sent; what the message holds stays within the header cap (as text: two bytes a char, kept and past
        // the cap) and the in-memory spool.
        Assert.InRange(Assert.Single(filter.HeldBytes), 1, 4 * limits.MaxHeaderBytes + 2 * limits.SpoolMemoryBytes);
    }

    private static string Field(byte[] data) => Encoding.UTF8.GetString(data.AsSpan(0, Array.IndexOf(data, (byte)0)));

    /// <summary>One message from a client SPF allows for football.example.com; the packets of the reply.</summary>
    private async Task<List<(char Command, byte[] Data)>> SendAsync(IEnumerable<(string Name, string Value)> headers) =>
        (await _filter.SendAsync(["j", Ours, "v", "Postfix 3.7.11"], "mail.football.example.com", "192.0.2.10", headers, Ct)).Reply;

    public ValueTask DisposeAsync() => _filter.DisposeAsync();
}
