using DmarcAnalyzer.Filter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Filter;

public sealed class FilterSettingsTests : IDisposable
{
    private readonly string _file = Path.Combine(Directory.CreateTempSubdirectory("filter-settings").FullName, "dmarc.json");

    [Fact]
    public void TheSampleConfigurationBindsEveryKey()
    {
        var sample = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "samples", "dmarc.json");
        var options = FilterSettings.Bind(new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(sample)).Build());
        Assert.Equal(["submission", "submissions"], options.SubmissionListeners);
        Assert.Equal(new DateOnly(2027, 3, 31), Assert.Single(options.Exceptions).Expires);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Milter.CommandTimeout);
        Assert.Equal(262144, options.Milter.MaxPacketSize);
        Assert.Equal((true, ForgedWhen.DmarcFail, DnsErrorAction.Accept, false), (options.Authentication.Enabled,
            options.Authentication.ForgedWhen, options.Authentication.OnDnsError, options.Authentication.EnforceDmarc));
        Assert.Equal(["192.0.2.0/24", "lists.example.org"], options.Authentication.NeverReject);
        Assert.Equal((67108864L, TimeSpan.FromSeconds(20)), (options.MaxInflatedBytes, options.ContentTimeLimit));
    }

    [Fact]
    public void ReloadTakesAGoodNewConfigurationAndKeepsTheOldOneWhenTheNewIsBad()
    {
        File.WriteAllText(_file, """{ "Filter": { "EncryptedArchiveAction": "Reject" } }""");
        var configuration = new ConfigurationBuilder().AddJsonFile(_file, optional: false, reloadOnChange: false).Build();
        var settings = new FilterSettings(configuration, NullLogger<FilterSettings>.Instance);
        Assert.Equal(EncryptedArchiveAction.Reject, settings.Current.EncryptedArchiveAction);

        File.WriteAllText(_file, """{ "Filter": { "EncryptedArchiveAction": "Tag", "SubmissionListeners": [ "sub" ] } }""");
        settings.Reload();
        Assert.Equal(EncryptedArchiveAction.Tag, settings.Current.EncryptedArchiveAction);
        Assert.Equal(["sub"], settings.Current.SubmissionListeners);

        File.WriteAllText(_file, """{ "Filter": { "EncryptedArchiveAction": "Explode" } }""");
        settings.Reload();
        Assert.Equal(EncryptedArchiveAction.Tag, settings.Current.EncryptedArchiveAction);
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_file)!, recursive: true);
}
