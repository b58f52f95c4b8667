using System.Diagnostics;
using System.Text.Json;
using DmarcAnalyzer.Auth.Arc;
using static DmarcAnalyzer.Tests.Auth.Arc.ArcTestChains;

namespace DmarcAnalyzer.Tests.Auth.Arc;

/// <summary>
/// Both ways with Debian's Perl Mail::DKIM (Mail::DKIM::ARC::Signer and ::Verifier), keys from one test zone that a
/// fake resolver installed with Mail::DKIM::DNS::resolver() serves to it: its chains of 1 to 3 hops verify with us, our
/// seal on top of its chains verifies with it, and broken chains fail with both.
/// </summary>
public sealed class ArcMailDkimInteropTests
{
    private const string Perl = "/usr/bin/perl";

    /// <summary>
    /// Reads {mode, records, message and hops | messages} as JSON on stdin and prints a JSON list: the sealed message
    /// (each hop verifies what it got, adds its Authentication-Results with arc= and seals with Chain => 'ar'), or the
    /// verifier's result per message.
    /// </summary>
    private const string Script = """
        use strict;
        use warnings;
        use JSON::PP;
        use Net::DNS;
        use Mail::DKIM::DNS;
        use Mail::DKIM::PrivateKey;
        use Mail::DKIM::ARC::Signer;
        use Mail::DKIM::ARC::Verifier;

        # Answers Mail::DKIM's key queries from the test zone instead of the network: TXT or NXDOMAIN.
        package ZoneResolver;
        sub new { my ($class, $records) = @_; return bless { records => $records }, $class; }
        sub errorstring { return 'NOERROR'; }
        sub send {
            my ($self, $name, $type) = @_;
            $name =~ s/\.$//;
            my $packet = Net::DNS::Packet->new($name, $type);
            my $value = $self->{records}{lc $name};
            if (defined $value && uc $type eq 'TXT') {
                $packet->push(answer => Net::DNS::RR->new(name => $name, type => 'TXT', txtdata => [unpack '(a255)*', $value]));
            } else {
                $packet->header->rcode('NXDOMAIN');
            }
            return $packet;
        }

        package main;
        binmode STDOUT;
        my $data = JSON::PP->new->decode(do { local $/; <STDIN> });
        Mail::DKIM::DNS::resolver(ZoneResolver->new($data->{records}));

        sub verify {
            my $verifier = Mail::DKIM::ARC::Verifier->new();
            $verifier->PRINT($_[0]);
            $verifier->CLOSE;
            return $verifier->result;
        }

        if ($data->{mode} eq 'sign') {
            my $msg = $data->{message};
            for my $hop (@{ $data->{hops} }) {
                my $arc = "\n$msg" =~ /\nARC-Seal:/i ? verify($msg) : 'none';
                $msg = "Authentication-Results: $hop->{srv_id}; spf=pass smtp.mailfrom=joe\@example.com; arc=$arc\r\n$msg";
                my $key = join '', grep { !/^-----/ } split /\r?\n/, $hop->{key};
                my $signer = Mail::DKIM::ARC::Signer->new(Algorithm => 'rsa-sha256', Chain => 'ar', Domain => $hop->{domain},
                    SrvId => $hop->{srv_id}, Selector => $hop->{selector}, Key => Mail::DKIM::PrivateKey->load(Data => $key));
                $signer->PRINT($msg);
                $signer->CLOSE;
                die "Mail::DKIM did not seal at $hop->{domain}: " . $signer->result . ' ' . ($signer->result_detail // '') . "\n"
                    unless $signer->result eq 'sealed';
                $msg = $signer->as_string . $msg;
            }
            print JSON::PP->new->encode([$msg]);
        } else {
            print JSON::PP->new->encode([map { verify($_) } @{ $data->{messages} }]);
        }
        """;

    private static readonly string[] Hops = ["lists.example.org", "forward.example.net", "relay.example.com"];

    private readonly Dictionary<string, string> _records = [];
    private readonly Dictionary<string, string> _keys = [];

    public ArcMailDkimInteropTests()
    {
        foreach (var hop in Hops.Append("us.example"))
        {
            var (pem, record) = RsaKey(2048);
            _keys[hop] = pem;
            _records[$"pl._domainkey.{hop}"] = record;
        }
    }

    private FakeDnsResolver Dns()
    {
        var dns = new FakeDnsResolver();
        foreach (var (name, value) in _records)
            dns.Txt(name, value);
        return dns;
    }

    private async Task<string> PerlChainAsync(int hops) => Assert.Single(await RunAsync(new
    {
        mode = "sign",
        message = Message,
        records = _records,
        hops = Hops.Take(hops).Select(h => new { domain = h, selector = "pl", key = _keys[h], srv_id = "mx." + h }),
    }));

    private Task<List<string>> PerlVerifyAsync(params string[] messages) => RunAsync(new { mode = "verify", messages, records = _records });

    private Task<string> OurSealAsync(string message) => ArcTestChains.OurSealAsync(message, _keys["us.example"], "pl", Dns());

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task MailDkimChainsVerifyWithUs(int hops)
    {
        var chain = await PerlChainAsync(hops);
        Assert.Contains($"i={hops}; a=rsa-sha256; cv={(hops == 1 ? "none" : "pass")};", chain);
        Assert.Equal(["pass"], await PerlVerifyAsync(chain));
        var ours = await VerifyAsync(chain, Dns());
        Assert.True(ours.State == ArcChainState.Pass, $"{ours.State}: {ours.Reason}");
        Assert.Equal(hops, ours.Sets);
        Assert.Equal(Hops[hops - 1], ours.Sealer);
        Assert.Equal($"mx.{Hops[hops - 1]}", ours.NewestHop?.AuthservId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task OurSealOnTheirChainVerifiesWithMailDkim(int hops)
    {
        var chain = hops == 0 ? Message : await PerlChainAsync(hops);
        var sealed_ = await OurSealAsync(chain);
        Assert.Contains($"i={hops + 1}", sealed_);
        Assert.Contains(hops == 0 ? "cv=none" : "cv=pass", sealed_);
        Assert.Equal(["pass"], await PerlVerifyAsync(sealed_));
        Assert.Equal(ArcChainState.Pass, (await VerifyAsync(sealed_, Dns())).State);
    }

    [Fact]
    public async Task BrokenChainsFailWithBoth()
    {
        var chain = await PerlChainAsync(3);
        var ourChain = await OurSealAsync(await PerlChainAsync(2));
        string[] broken =
        [
            chain.Replace("Joe.", "Jim."),
            ourChain.Replace("Joe.", "Jim."),
            WithoutSeal(chain, 2),
            WithoutSeal(ourChain, 3),
            SwappedInstances(chain),
            SwappedInstances(ourChain),
        ];
        var perl = await PerlVerifyAsync(broken);
        for (var n = 0; n < broken.Length; n++)
        {
            Assert.True(perl[n] == "fail", $"case {n}: Mail::DKIM says {perl[n]}");
            var ours = await VerifyAsync(broken[n], Dns());
            Assert.True(ours.State == ArcChainState.Fail, $"case {n}: we say {ours.State}");
        }
    }

    private static async Task<List<string>> RunAsync(object input)
    {
        if (!File.Exists(Perl) || !File.Exists("/usr/share/perl5/Mail/DKIM/ARC/Verifier.pm"))
            Assert.Fail("Perl's Mail::DKIM is missing: install libmail-dkim-perl (test.sh does)");
        using var folder = new TempFolder();
        var script = folder.File("arc.pl");
        await File.WriteAllTextAsync(script, Script);
        var start = new ProcessStartInfo(Perl, [script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(input));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            Assert.Fail($"Mail::DKIM exited {process.ExitCode}: {await stderr}");
        return JsonSerializer.Deserialize<List<string>>(await stdout)!;
    }
}
