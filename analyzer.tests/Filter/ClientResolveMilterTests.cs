using System.Text;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Tests.Auth;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// The never-reject rule for a client host name over the wire: the connect stage's <c>{client_resolve}</c> and
/// <c>v</c> reach the engine, as Sendmail and Postfix send them (macros before SMFIC_CONNECT, whose host name is the
/// unconfirmed PTR name from Sendmail).
/// </summary>
public sealed class ClientResolveMilterTests : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly FilterMilterHarness _filter = new(
        new FakeDnsResolver()
            .Txt("_dmarc.football.example.com", "v=DMARC1; p=reject").A("football.example.com")
            .Txt("football.example.com", "v=spf1 ip4:192.0.2.0/24 -all"),
        new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true, NeverReject = ["relay.lists.example.org"] } });

    [Theory]
    [InlineData("OK", "8.17.1", 'a')]
    [InlineData(null, "Postfix 3.7.11", 'a')]
    [InlineData(null, "8.17.1", 'y')]
    [InlineData(null, null, 'y')]
    [InlineData("FORGED", "8.17.1", 'y')]
    [InlineData("FAIL", "8.17.1", 'y')]
    [InlineData("TEMP", "8.17.1", 'y')]
    public async Task ANeverRejectHostNameIsBelievedOnlyWhenClientResolveIsOKOrAbsentFromPostfix(string? resolve, string? mta, char reply)
    {
        string[] connect = ["j", "mx.example.net", "{daemon_name}", "MTA", "{client_name}", "relay.lists.example.org"];
        if (resolve is not null)
            connect = [.. connect, "{client_resolve}", resolve];
        if (mta is not null)
            connect = [.. connect, "v", mta];
        var (wanted, packets) = await _filter.SendAsync(connect, "relay.lists.example.org", "198.51.100.9",
            [("From", "Joe <joe@football.example.com>")], Ct);
        Assert.Contains("{client_resolve}", wanted);
        Assert.Contains("j v ", wanted);
        Assert.Equal(reply, packets[^1].Command);
        if (reply == 'y')
            Assert.StartsWith("550 5.7.1", Encoding.ASCII.GetString(packets[^1].Data));
    }

    public ValueTask DisposeAsync() => _filter.DisposeAsync();
}
