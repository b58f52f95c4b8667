using System.Net;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Tests.Filter;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Tests.Dns;

public sealed class ZoneReloaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("zone-reload").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ANewZoneFileTakesEffectAndABadOneLeavesTheRecordsInForce()
    {
        var file = Path.Combine(_folder, "partners.zone");
        await File.WriteAllTextAsync(file, "partner.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.1 -all\"\n", Ct);
        var options = new DnsOptions([new IPEndPoint(IPAddress.Loopback, 9)], [file], Offline: true, TimeSpan.FromSeconds(1), 0);
        var resolver = await DnsResolverFactory.CreateAsync(options, Ct, new DnsCache(100, TimeProvider.System));
        var log = new ListLogger<ZoneReloader>();
        var reloader = new ZoneReloader(resolver, () => options.ZoneFiles, log);
        Assert.Equal(["v=spf1 ip4:192.0.2.1 -all"], (await resolver.TxtAsync("partner.example", Ct)).Records);

        await File.WriteAllTextAsync(file, "partner.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.2 -all\"\n", Ct);
        await reloader.ReloadAsync(Ct);
        Assert.Equal(["v=spf1 ip4:192.0.2.2 -all"], (await resolver.TxtAsync("partner.example", Ct)).Records);

        await File.WriteAllTextAsync(file, "partner.example. 3600 IN TXT \"v=spf1 unterminated\n", Ct);
        await reloader.ReloadAsync(Ct);
        Assert.Equal(["v=spf1 ip4:192.0.2.2 -all"], (await resolver.TxtAsync("partner.example", Ct)).Records);
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Error && e.Message.StartsWith("zone files not reloaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ZoneFilesAddedToOrTakenOutOfTheConfigurationCount()
    {
        var file = Path.Combine(_folder, "added.zone");
        await File.WriteAllTextAsync(file, "partner.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.3 -all\"\n", Ct);
        var options = new DnsOptions([new IPEndPoint(IPAddress.Loopback, 9)], [], Offline: true, TimeSpan.FromSeconds(1), 0);
        var resolver = await DnsResolverFactory.CreateAsync(options, Ct, new DnsCache(100, TimeProvider.System));
        IReadOnlyList<string> configured = [];
        var reloader = new ZoneReloader(resolver, () => configured, new ListLogger<ZoneReloader>());
        Assert.Equal(DnsOutcome.NxDomain, (await resolver.TxtAsync("partner.example", Ct)).Outcome);

        configured = [file];
        await reloader.ReloadAsync(Ct);
        Assert.Equal(["v=spf1 ip4:192.0.2.3 -all"], (await resolver.TxtAsync("partner.example", Ct)).Records);

        configured = [];
        await reloader.ReloadAsync(Ct);
        Assert.Equal(DnsOutcome.NxDomain, (await resolver.TxtAsync("partner.example", Ct)).Outcome);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
