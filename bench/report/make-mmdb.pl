#!/usr/bin/perl
# Writes the two network databases the enriched `dmarc report` benchmark reads, with MaxMind's writer (Debian
# libmaxmind-db-writer-perl): every address make-store.py uses is covered, 10.0.0.0/8 as 65,536 /24 networks so the
# tree is as deep as a real GeoLite2 file's.
# usage: make-mmdb.pl ASN.mmdb COUNTRY.mmdb
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($asn_out, $country_out) = @ARGV;
my %types = (
    autonomous_system_number => 'uint32',
    autonomous_system_organization => 'utf8_string',
    country => 'map',
    iso_code => 'utf8_string',
);
my @countries = qw(US DE NL FR GB BR IN CN RU JP);

sub tree {
    my ($type) = @_;
    return MaxMind::DB::Writer::Tree->new(
        ip_version => 6, record_size => 28, database_type => $type, languages => ['en'],
        description => { en => 'DmarcAnalyzer benchmark' }, map_key_type_callback => sub { $types{ $_[0] } },
        remove_reserved_networks => 0);
}

my $asn = tree('GeoLite2-ASN');
my $country = tree('GeoLite2-Country');
my @fixed = (['192.0.2.0/24', 64496, 'Example Relays', 'DE'], ['198.51.100.0/24', 64500, 'Example Newsletter Co', 'US'],
    ['203.0.113.0/24', 64501, 'Example Lists', 'NL']);
for my $n (@fixed) {
    $asn->insert_network($n->[0], { autonomous_system_number => $n->[1], autonomous_system_organization => $n->[2] });
    $country->insert_network($n->[0], { country => { iso_code => $n->[3] } });
}
for my $i (0 .. 65535) {
    my $net = sprintf('10.%d.%d.0/24', $i >> 8, $i & 255);
    $asn->insert_network($net, { autonomous_system_number => 65000 + $i % 500, autonomous_system_organization => 'Network ' . ($i % 500) });
    $country->insert_network($net, { country => { iso_code => $countries[$i % @countries] } });
}
for ([$asn, $asn_out], [$country, $country_out]) {
    open my $fh, '>:raw', $_->[1] or die "$_->[1]: $!";
    $_->[0]->write_tree($fh);
    close $fh or die "$_->[1]: $!";
}
