using System.Diagnostics;
using System.Text.Json;

namespace DmarcAnalyzer.Tests.Analysis.Enrichment;

/// <summary>
/// Small MaxMind DB files made for a test by MaxMind's own writer (Debian libmaxmind-db-writer-perl), so the tests
/// read the real format and depend on no downloaded database. Without the Perl module the test is skipped.
/// </summary>
internal static class TestMmdb
{
    public const string Asn = "GeoLite2-ASN";
    public const string Country = "GeoLite2-Country";

    /// <summary>An ASN database: network (CIDR) to AS number and organisation.</summary>
    public static Task<string> WriteAsnAsync(string path, params (string Network, long Asn, string Org)[] networks) =>
        WriteAsync(path, Asn, networks.Select(n => (n.Network, (object)new Dictionary<string, object>
        {
            ["autonomous_system_number"] = n.Asn,
            ["autonomous_system_organization"] = n.Org,
        })));

    /// <summary>A country database shaped like GeoLite2-Country: <c>country.iso_code</c>.</summary>
    public static Task<string> WriteCountryAsync(string path, params (string Network, string IsoCode)[] networks) =>
        WriteAsync(path, Country, networks.Select(n => (n.Network, (object)new Dictionary<string, object>
        {
            ["country"] = new Dictionary<string, object> { ["iso_code"] = n.IsoCode },
        })));

    private const string Writer = """
        use strict;
        use warnings;
        use JSON::PP;
        use MaxMind::DB::Writer::Tree;
        my ($out, $type) = @ARGV;
        local $/;
        my $networks = JSON::PP->new->decode(<STDIN>);
        my %types = (
            autonomous_system_number => 'uint32',
            autonomous_system_organization => 'utf8_string',
            country => 'map',
            iso_code => 'utf8_string',
        );
        my $tree = MaxMind::DB::Writer::Tree->new(
            ip_version => 6,
            record_size => 24,
            database_type => $type,
            languages => ['en'],
            description => { en => 'DmarcAnalyzer test database' },
            map_key_type_callback => sub { $types{ $_[0] } },
            # The tests use the documentation ranges (RFC 5737, RFC 3849), which the writer drops by default.
            remove_reserved_networks => 0,
        );
        $tree->insert_network($_->[0], $_->[1]) for @$networks;
        open my $fh, '>:raw', $out or die "$out: $!";
        $tree->write_tree($fh);
        close $fh or die "$out: $!";
        """;

    private static async Task<string> WriteAsync(string path, string type, IEnumerable<(string Network, object Data)> networks)
    {
        var ct = TestContext.Current.CancellationToken;
        var script = path + ".pl";
        await File.WriteAllTextAsync(script, Writer, ct);
        var info = new ProcessStartInfo("perl") { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(path);
        info.ArgumentList.Add(type);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Skip("perl is not installed (test.sh installs libmaxmind-db-writer-perl)");
            throw;
        }
        using (process)
        {
            await process.StandardInput.WriteAsync(JsonSerializer.Serialize(networks.Select(n => new object[] { n.Network, n.Data })));
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.StandardOutput.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var errors = await stderr;
            if (errors.Contains("Can't locate MaxMind/DB/Writer", StringComparison.Ordinal))
                Assert.Skip("libmaxmind-db-writer-perl is not installed (test.sh installs it)");
            Assert.True(process.ExitCode == 0, $"the MaxMind DB writer failed: {errors}");
        }
        File.Delete(script);
        return path;
    }
}
