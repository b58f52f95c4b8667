using System.Net;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Tests.Milter;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// The MTA's abort or disconnect reaches the checks themselves: the token FilterMilterHandler gives
/// FilterEngine.DecideAsync is cancelled, here seen by a DNS lookup that waits for it.
/// </summary>
public sealed class MilterAbortFilterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData('A')]
    [InlineData('Q')]
    [InlineData('-')]
    public async Task AbortQuitOrDisconnectDuringTheChecksCancelsTheEngine(char end)
    {
        var dns = new StallingDnsResolver();
        await using var filter = new FilterMilterHarness(dns, new FilterOptions());
        var mta = await MilterTestClient.ConnectAsync(filter.EndPoint, Ct);
        await FilterMilterHarness.StartAsync(mta, ["j", "mx.example.net"], "mail.football.example.com", "192.0.2.10", Ct);
        await mta.SendStringsAsync('L', Ct, "From", "Joe <joe@football.example.com>");
        await mta.SendAsync('N', [], Ct);
        await mta.SendAsync('E', "body\r\n"u8.ToArray(), Ct);
        await dns.Waiting.Task;

        if (end != '-')
            await mta.SendAsync(end, [], Ct);
        if (end != 'A')
            await mta.DisposeAsync();
        await dns.Cancelled.Task;
        if (end == 'A')
        {
            // The connection stays usable and no verdict for the aborted message is written to it.
            await mta.SendAsync('Q', [], Ct);
            Assert.True(await mta.IsClosedAsync(Ct));
            await mta.DisposeAsync();
        }
        await MilterServerFixture.WaitUntilAsync(() => filter.Connections.Count == 0, Ct);
    }

    /// <summary>Every lookup waits until its token is cancelled.</summary>
    private sealed class StallingDnsResolver : IDnsResolver
    {
        public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct) => StallAsync<string>(ct);

        public Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) => StallAsync<IPAddress>(ct);

        public Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) => StallAsync<IPAddress>(ct);

        public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) => StallAsync<MxRecord>(ct);

        public Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct) => StallAsync<string>(ct);

        private async Task<DnsLookup<T>> StallAsync<T>(CancellationToken ct)
        {
            using var registration = ct.Register(() => Cancelled.TrySetResult());
            Waiting.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return DnsLookup<T>.NoData;
        }
    }
}
