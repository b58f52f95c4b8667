using System.Text;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Milter;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Auth;
using DmarcAnalyzer.Tests.Milter;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// The never-reject rule for a client host name over the wire: the connect stage's <c>{client_resolve}</c> reaches the
/// engine, as Sendmail sends it (macros before SMFIC_CONNECT, whose host name is the unconfirmed PTR name).
/// </summary>
public sealed class ClientResolveMilterTests : IAsyncDisposable
{
    private const uint AllActions = 0x1FF;
    private const uint NoReplyFlags = 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x80;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly CancellationTokenSource _stop = new();
    private readonly MilterServer _server;
    private readonly Task _run;

    public ClientResolveMilterTests()
    {
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.football.example.com", "v=DMARC1; p=reject").A("football.example.com")
            .Txt("football.example.com", "v=spf1 ip4:192.0.2.0/24 -all");
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true, NeverReject = ["relay.lists.example.org"] } };
        var engine = new FilterEngine(() => options, TimeProvider.System, NullLogger<FilterEngine>.Instance,
            new SenderAuthenticator(dns, "mx.example.net"));
        // Never run: the verdicts only queue, no store is needed.
        var verdicts = new VerdictLog(ct => Database.OpenAsync(":memory:", ct), 100, 10, NullLogger<VerdictLog>.Instance);
        var handler = new FilterMilterHandler(engine, verdicts, TimeProvider.System, NullLogger<FilterMilterHandler>.Instance);
        _server = new MilterServer(handler, new MilterOptions(), NullLogger<MilterServer>.Instance);
        _server.Start(MilterEndpoint.Parse("inet:127.0.0.1:0"));
        _run = _server.RunAsync(_stop.Token);
    }

    [Theory]
    [InlineData("OK", "8.17.1", 'a')]
    [InlineData(null, "Postfix 3.7.11", 'a')]
    [InlineData(null, "8.17.1", 'y')]
    [InlineData(null, null, 'y')]
    [InlineData("FORGED", "8.17.1", 'y')]
    [InlineData("FAIL", "8.17.1", 'y')]
    [InlineData("TEMP", "8.17.1", 'y')]
    public async Task A_never_reject_host_name_is_believed_only_when_client_resolve_is_OK_or_absent_from_Postfix(string? resolve, string? mta, char reply)
    {
        await using var client = await MilterTestClient.ConnectAsync(_server.LocalEndPoint!, Ct);
        var (_, _, _, wanted) = await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        Assert.Contains("{client_resolve}", Encoding.ASCII.GetString(wanted));
        Assert.Contains("j v ", Encoding.ASCII.GetString(wanted));

        string[] connect = ["j", "mx.example.net", "{daemon_name}", "MTA", "{client_name}", "relay.lists.example.org"];
        if (resolve is not null)
            connect = [.. connect, "{client_resolve}", resolve];
        if (mta is not null)
            connect = [.. connect, "v", mta];
        await client.SendAsync('D', MilterTestClient.MacroData('C', connect), Ct);
        await client.SendAsync('C', MilterTestClient.ConnectData("relay.lists.example.org", "198.51.100.9", 4321), Ct);
        await client.SendStringsAsync('H', Ct, "relay.lists.example.org");
        await client.SendAsync('D', MilterTestClient.MacroData('M', "i", "Q1"), Ct);
        await client.SendStringsAsync('M', Ct, "<joe@football.example.com>");
        await client.SendStringsAsync('R', Ct, "<bob@example.net>");
        await client.SendStringsAsync('L', Ct, "From", "Joe <joe@football.example.com>");
        await client.SendStringsAsync('L', Ct, "Subject", "hi");
        await client.SendAsync('N', [], Ct);
        await client.SendAsync('B', "body\r\n"u8.ToArray(), Ct);
        await client.SendAsync('E', [], Ct);

        var packets = new List<(char Command, byte[] Data)>();
        do
            packets.Add((await client.ReadAsync(Ct))!.Value);
        while (packets[^1].Command is 'h' or 'i' or 'm' or 'q' or 'b');
        Assert.Equal(reply, packets[^1].Command);
        if (reply == 'y')
            Assert.StartsWith("550 5.7.1", Encoding.ASCII.GetString(packets[^1].Data));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}
