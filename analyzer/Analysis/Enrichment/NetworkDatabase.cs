using System.Globalization;
using System.Net;
using MaxMind.Db;

namespace DmarcAnalyzer.Analysis.Enrichment;

/// <summary>What <c>dmarc enrich check</c> prints about a loaded database.</summary>
internal sealed record DatabaseInfo(string Path, string Type, DateTime BuildUtc, int IpVersion, long Networks);

/// <summary>
/// One MaxMind-format (.mmdb) file, read with MaxMind.Db and memory-mapped, so opening it costs nothing and
/// lookups touch only the pages they need. A file that is not a MaxMind DB is an <see cref="EnrichmentException"/>
/// naming the setting and the file.
/// </summary>
internal sealed class NetworkDatabase : IDisposable
{
    private readonly Reader _reader;

    private NetworkDatabase(string setting, string path, Reader reader)
    {
        Setting = setting;
        Path = path;
        _reader = reader;
    }

    public string Setting { get; }

    public string Path { get; }

    /// <summary>Changes when the file is rebuilt: cached answers of an older build are not used.</summary>
    public string Stamp => $"{_reader.Metadata.DatabaseType}@{_reader.Metadata.BuildDate.ToString("O", CultureInfo.InvariantCulture)}";

    public static NetworkDatabase Open(string setting, string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new EnrichmentException($"{setting}: file not found: {full}");
        try
        {
            return new NetworkDatabase(setting, full, new Reader(full, FileAccessMode.MemoryMapped));
        }
        catch (Exception e) when (e is InvalidDatabaseException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new EnrichmentException($"{setting}: {full} is not a readable MaxMind DB file: {e.Message}", e);
        }
    }

    public AsnData? Asn(IPAddress address) => Find<AsnData>(address);

    public CountryData? Country(IPAddress address) => Find<CountryData>(address);

    private T? Find<T>(IPAddress address) where T : class
    {
        // An IPv6 address in an IPv4-only database has no answer; the reader would throw.
        if (_reader.Metadata.IPVersion == 4 && address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            return null;
        try
        {
            return _reader.Find<T>(address);
        }
        catch (InvalidDatabaseException e)
        {
            throw new EnrichmentException($"{Setting}: {Path} is damaged: {e.Message}", e);
        }
        catch (DeserializationException e)
        {
            throw new EnrichmentException($"{Setting}: {Path} holds records of another shape than expected: {e.Message}", e);
        }
    }

    /// <summary>Walks every network of the file to count them: for <c>dmarc enrich check</c>, not for reports.</summary>
    public DatabaseInfo Describe(CancellationToken ct)
    {
        var networks = 0L;
        foreach (var _ in _reader.FindAll<Dictionary<string, object>>(cacheSize: 4096))
        {
            if (++networks % 65536 == 0)
                ct.ThrowIfCancellationRequested();
        }
        var m = _reader.Metadata;
        return new DatabaseInfo(Path, m.DatabaseType, m.BuildDate, m.IPVersion, networks);
    }

    public void Dispose() => _reader.Dispose();
}
