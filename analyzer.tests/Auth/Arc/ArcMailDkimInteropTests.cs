using System.Diagnostics;

namespace DmarcAnalyzer.Tests.Auth.Arc;

/// <summary>
/// ARC both ways with Debian's Perl Mail::DKIM (Mail::DKIM::ARC::Signer and ::Verifier), the test zone served to it by
/// a fake resolver installed with Mail::DKIM::DNS::resolver().
/// </summary>
public sealed class ArcMailDkimInteropTests() : ArcPeerInteropTests("pl")
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

    protected override string Peer => "Mail::DKIM";

    protected override async Task<ProcessStartInfo> StartInfoAsync(string folder)
    {
        if (!File.Exists(Perl) || !File.Exists("/usr/share/perl5/Mail/DKIM/ARC/Verifier.pm"))
            Assert.Fail("Perl's Mail::DKIM is missing: install libmail-dkim-perl (test.sh does)");
        var script = Path.Combine(folder, "arc.pl");
        await File.WriteAllTextAsync(script, Script);
        return new ProcessStartInfo(Perl, [script]);
    }
}
