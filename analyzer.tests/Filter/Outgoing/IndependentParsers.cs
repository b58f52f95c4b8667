using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace DmarcAnalyzer.Tests.Filter.Outgoing;

/// <summary>
/// The parsers that check our reports besides our own: xmllint against the RFC 9990 schema, Debian's dmarc-cat and Perl's
/// Mail::DMARC. A tool that is not installed skips the test, and fails it under DMARC_REQUIRE_CORPUS=1 (CI: test.sh
/// installs them).
/// </summary>
internal static class IndependentParsers
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>xmllint's verdict on the XML file against the RFC 9990 schema (draft-ietf-dmarc-aggregate-reporting-32's XSD).</summary>
    public static async Task AssertValidAsync(string xmlPath)
    {
        var schema = Corpus.Require("schema", "dmarcbis-aggregate__draft-ietf-dmarc-aggregate-reporting-32__dmarc-xml-0.2.xsd");
        var (code, output) = await RunAsync("xmllint", "--noout", "--schema", schema, xmlPath);
        Assert.True(code == 0, output);
        Assert.Contains("validates", output);
    }

    /// <summary>
    /// The rows and the message total dmarc-cat reads from a gzip file, and its whole output. dmarc-cat takes a file only
    /// under its RFC name (receiver!domain!begin!end[!id].xml.gz), so this checks the name too.
    /// </summary>
    public static async Task<(int Rows, long Total, string Output)> DmarcCatAsync(string gzipPath)
    {
        var (code, output) = await RunAsync("dmarc-cat", "-N", gzipPath);
        Assert.True(code == 0, output);
        var rows = output.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 2 && IPAddress.TryParse(f[0], out _)).ToList();
        return (rows.Count, rows.Sum(f => long.Parse(f[1], CultureInfo.InvariantCulture)), output);
    }

    /// <summary>What Mail::DMARC reads from the XML file: "rows=N total=N domain=D org=O".</summary>
    public static async Task<string> MailDmarcAsync(string xmlPath, string folder)
    {
        var script = Path.Combine(folder, "read.pl");
        // Mail::DMARC's receiver (Debian's 1.20211209) looks its elements up without a namespace, so it finds nothing in an
        // RFC 9990 report: the namespace declaration is taken off before its parser reads the elements and values.
        await File.WriteAllTextAsync(script, """
            use strict; use warnings;
            use XML::LibXML;
            use Mail::DMARC::Report::Receive;
            my $xml = do { local $/; open my $f, '<', $ARGV[0] or die "$ARGV[0]: $!"; <$f> };
            $xml =~ s/ xmlns="urn:ietf:params:xml:ns:dmarc-2.0"//;
            my $receive = Mail::DMARC::Report::Receive->new;
            my $dom = XML::LibXML->load_xml(string => $xml);
            $receive->do_node_report_metadata($dom->findnodes('/feedback/report_metadata'));
            $receive->do_node_policy_published($dom->findnodes('/feedback/policy_published'));
            $receive->do_node_record($_) for $dom->findnodes('/feedback/record');
            my $aggregate = $receive->report->aggregate;
            my @records = @{ $aggregate->record };
            my $total = 0;
            $total += $_->row->count for @records;
            printf "rows=%d total=%d domain=%s org=%s\n", scalar @records, $total,
                $aggregate->policy_published->domain, $aggregate->metadata->org_name;
            """, Ct);
        var (code, output) = await RunAsync("perl", script, xmlPath);
        Assert.True(code == 0, output);
        return output.Trim();
    }

    private static async Task<(int Code, string Output)> RunAsync(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            if (Environment.GetEnvironmentVariable("DMARC_REQUIRE_CORPUS") == "1")
                Assert.Fail($"{tool} is not installed; DMARC_REQUIRE_CORPUS=1");
            Assert.Skip($"{tool} is not installed (test.sh installs it)");
            throw;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(Ct);
            var stderr = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            return (process.ExitCode, await stdout + await stderr);
        }
    }
}
