using System.Text;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Tests.Auth.Dkim;
using DmarcAnalyzer.Tests.Dns;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Ingest;

/// <summary>
/// Red-team F9 follow-up: whether DNS is down while report mail is verified is decided by a name we choose
/// (<c>Dns:HealthProbe</c>), asked of the real stub resolver against a loopback server, not by counting the senders'
/// failures: lame zones, however many in a row, are their own reports' "DNS unavailable" and nothing more.
/// </summary>
public sealed class DnsHealthProbeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A lame zone costs one timeout per mail; long enough that a loaded machine answers the others well within it.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    private static TestZone Keys(params string[] domains)
    {
        var zone = new TestZone();
        using var key = DkimTestMessages.Key(DkimSignature.Ed25519Sha256);
        foreach (var domain in domains)
            zone.Txt($"sel._domainkey.{domain}", key.PublicKeyRecord());
        return zone;
    }

    private static DnsResolver Resolver(LoopbackDnsServer server) =>
        new(LocalZone.Empty, new DnsCache(1000, TimeProvider.System), new DnsTransport([server.EndPoint], Timeout, 0));

    private static async Task<string> MailAsync(string domain, string reportId) =>
        await ReportMailAuthTests.SignAsync(
            ReportMailAuthTests.AggregateMail(from: $"dmarc@{domain}", email: $"dmarc@{domain}", reportId: reportId), domain);

    private static async Task IngestAsync(IngestPipeline pipeline, string mail, string name) =>
        Assert.Equal(1, (await pipeline.IngestAsync(new MemoryStream(Encoding.Latin1.GetBytes(mail)), name, Ct)).New);

    [Fact]
    public async Task LameZonesInARowAreTheirOwnReportsDnsUnavailableAndTheNextIsVerified()
    {
        var zone = Keys("reporter.example", "other.example").A(ReportAcceptance.DefaultHealthProbe, "198.41.0.4");
        zone["sel._domainkey.lame1.example"].TimesOut = true;
        zone["sel._domainkey.lame2.example"].TimesOut = true;
        await using var server = new LoopbackDnsServer(zone);
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(false, [], Resolver(server)) };
        await using (var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, store.Limits, store.Acceptance, NullLogger.Instance, Ct))
        {
            await IngestAsync(pipeline, await MailAsync("reporter.example", "a"), "a");
            await IngestAsync(pipeline, await MailAsync("lame1.example", "b"), "b");
            await IngestAsync(pipeline, await MailAsync("lame2.example", "c"), "c");
            await IngestAsync(pipeline, await MailAsync("other.example", "d"), "d");
        }
        Assert.Equal(["a verified", "b dns-unavailable", "c dns-unavailable", "d verified"],
            await store.StringsAsync("SELECT report_id || ' ' || auth FROM reports ORDER BY id"));
    }

    [Fact]
    public async Task WhenTheServerStopsAnsweringTheProbeFindsItDespiteTheCacheAndTheBatchStopsAsking()
    {
        const string probe = "probe.dmarc.test";
        var zone = Keys("reporter.example", "third.example").A(probe, "192.0.2.53");
        await using var server = new LoopbackDnsServer(zone);
        var resolver = Resolver(server);
        // The probe's answer is in the resolver's cache: only a question put to the server itself can say it is gone.
        Assert.Equal(DnsOutcome.Found, (await resolver.AAsync(probe, Ct)).Outcome);
        await using var store = new IngestHarness { Acceptance = new ReportAcceptance(false, [], resolver) { HealthProbe = probe } };
        await using (var pipeline = await IngestPipeline.OpenAsync(store.DatabasePath, store.Limits, store.Acceptance, NullLogger.Instance, Ct))
        {
            await IngestAsync(pipeline, await MailAsync("reporter.example", "a"), "a");
            zone["sel._domainkey.second.example"].TimesOut = true;
            zone[probe].Records.Clear(); // the server answers nothing from here on
            zone[probe].TimesOut = true;
            await IngestAsync(pipeline, await MailAsync("second.example", "b"), "b");
            var asked = server.UdpQueries;
            await IngestAsync(pipeline, await MailAsync("third.example", "c"), "c");
            Assert.Equal(asked, server.UdpQueries);
        }
        Assert.Equal(["a verified", "b dns-unavailable", "c dns-unavailable"],
            await store.StringsAsync("SELECT report_id || ' ' || auth FROM reports ORDER BY id"));
    }

    [Fact]
    public void TheProbeIsConfigurable()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Dns:HealthProbe"] = " probe.example.net " }).Build();
        Assert.Equal("probe.example.net", DmarcAnalyzer.Cli.IngestConsole.Acceptance(configuration, new DmarcAnalyzer.Tests.Auth.FakeDnsResolver()).HealthProbe);
        Assert.Equal(ReportAcceptance.DefaultHealthProbe,
            DmarcAnalyzer.Cli.IngestConsole.Acceptance(new ConfigurationBuilder().Build(), new DmarcAnalyzer.Tests.Auth.FakeDnsResolver()).HealthProbe);
        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Dns:HealthProbe"] = "no such..name" }).Build();
        Assert.Throws<DmarcAnalyzer.Cli.UsageException>(() => DmarcAnalyzer.Cli.IngestConsole.Acceptance(bad, new DmarcAnalyzer.Tests.Auth.FakeDnsResolver()));
    }
}
