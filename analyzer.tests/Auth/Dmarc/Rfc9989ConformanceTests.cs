using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Tests.Auth.Dmarc;

/// <summary>
/// The cases a side-by-side run against OpenDMARC showed: non-existent domains (RFC 9989 §3.2.13: NXDOMAIN only),
/// records with an invalid or missing p=, sp= or np= (§4.10.1), and record and From parsing.
/// </summary>
public sealed class Rfc9989ConformanceTests
{
    private static readonly SpfOutcome NoSpf = new(SpfResultCode.None, "");

    private static FakeDnsResolver Zone() => new FakeDnsResolver()
        .Txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=none; np=quarantine").A("example.com")
        // Only a TXT record of its own: it exists, so sp= applies.
        .Txt("txt-only.example.com", "v=spf1 -all")
        // An empty non-terminal: nothing of its own, a name below it.
        .A("host.branch.example.com")
        .Txt("_dmarc.bogus.example", "v=DMARC1; p=bogus").A("bogus.example")
        .Txt("_dmarc.bogus-rua.example", "v=DMARC1; p=bogus; rua=mailto:agg@bogus-rua.example").A("bogus-rua.example")
        .Txt("_dmarc.no-p.example", "v=DMARC1; rua=mailto:agg@no-p.example").A("no-p.example")
        .Txt("_dmarc.no-p-no-rua.example", "v=DMARC1; adkim=s").A("no-p-no-rua.example")
        .Txt("_dmarc.bad-sp.example", "v=DMARC1; p=reject; sp=maybe").A("bad-sp.example").A("mail.bad-sp.example")
        .Txt("_dmarc.bad-sp-rua.example", "v=DMARC1; p=reject; sp=maybe; rua=mailto:a@bad-sp-rua.example").A("mail.bad-sp-rua.example")
        .Txt("_dmarc.bad-rua.example", "v=DMARC1; p=bogus; rua=https://bad-rua.example/").A("bad-rua.example")
        .Txt("_dmarc.v-second.example", "p=reject; v=DMARC1").A("v-second.example")
        .Txt("_dmarc.two.example", "v=DMARC1; p=reject").Txt("_dmarc.two.example", "v=DMARC1; p=quarantine").A("two.example")
        .Txt("_dmarc.spaced.example", "v = DMARC1 ; p = reject ; adkim = s ").A("spaced.example").A("mail.spaced.example")
        .Txt("_dmarc.odd-align.example", "v=DMARC1; p=reject; adkim=x; aspf=1").A("odd-align.example").A("mail.odd-align.example")
        .Txt("_dmarc.xn--bcher-kva.example", "v=DMARC1; p=reject").A("xn--bcher-kva.example");

    private static Task<DmarcResult> EvaluateAsync(string from, params DkimResult[] dkim) =>
        new DmarcEvaluator(Zone()).EvaluateAsync([from], NoSpf, dkim, CancellationToken.None);

    private static DkimResult Pass(string domain) => new(DkimResultCode.Pass, domain, "sel", "abcdefgh", null);

    [Theory]
    [InlineData("joe@txt-only.example.com", "none", "sp")]
    [InlineData("joe@branch.example.com", "none", "sp")]
    [InlineData("joe@nowhere.example.com", "quarantine", "np")]
    [InlineData("joe@deep.nowhere.example.com", "quarantine", "np")]
    public async Task Only_NXDOMAIN_makes_a_subdomain_non_existent(string from, string policy, string source)
    {
        var r = await EvaluateAsync(from);
        Assert.Equal((DmarcResultCode.Fail, policy, source), (r.Result, r.Policy?.Word(), r.PolicySource));
    }

    [Theory]
    [InlineData("joe@bogus.example", "p=bogus")]
    [InlineData("joe@no-p-no-rua.example", "no p=")]
    [InlineData("joe@mail.bad-sp.example", "sp=maybe")]
    [InlineData("joe@bad-rua.example", "p=bogus")]
    public async Task An_invalid_policy_without_a_valid_rua_means_no_DMARC_processing(string from, string error)
    {
        var r = await EvaluateAsync(from);
        Assert.Equal(DmarcResultCode.None, r.Result);
        Assert.Equal(DmarcPolicy.None, r.Disposition);
        Assert.Contains(error, r.Reason);
        Assert.Contains("no DMARC processing (RFC 9989 §4.10.1)", r.Reason);
    }

    [Theory]
    [InlineData("joe@bogus-rua.example", "p=bogus")]
    [InlineData("joe@no-p.example", "no p=")]
    [InlineData("joe@mail.bad-sp-rua.example", "sp=maybe")]
    public async Task An_invalid_policy_with_a_valid_rua_is_read_as_p_none_so_reports_still_flow(string from, string error)
    {
        var r = await EvaluateAsync(from);
        Assert.Equal((DmarcResultCode.Fail, DmarcPolicy.None, DmarcPolicy.None), (r.Result, r.Policy!.Value, r.Disposition));
        Assert.Contains($"{error} in the record: read as p=none", r.Reason);
        var field = AuthenticationResultsWriter.Write("mx.example.net", null, [], r);
        Assert.Contains("dmarc=fail (p=none dis=none)", field);
    }

    [Theory]
    [InlineData("joe@v-second.example")]
    [InlineData("joe@two.example")]
    public async Task A_record_not_starting_with_v_DMARC1_or_two_records_at_one_name_are_no_record(string from) =>
        Assert.Equal(DmarcResultCode.None, (await EvaluateAsync(from)).Result);

    [Fact]
    public async Task Spaces_around_equals_and_semicolons_are_allowed()
    {
        var r = await EvaluateAsync("joe@spaced.example", Pass("mail.spaced.example"));
        // adkim = s was read: a subdomain's signature does not align.
        Assert.Equal((DmarcResultCode.Fail, DmarcPolicy.Reject), (r.Result, r.Policy!.Value));
    }

    [Fact]
    public async Task Unknown_alignment_values_fall_back_to_relaxed()
    {
        var r = await EvaluateAsync("joe@odd-align.example", Pass("mail.odd-align.example"));
        Assert.Equal(DmarcResultCode.Pass, r.Result);
        Assert.Contains(DmarcRecord.Parse("v=DMARC1; p=reject; adkim=x").Warnings, w => w.Contains("adkim=x"));
    }

    [Fact]
    public async Task A_U_label_From_domain_is_looked_up_as_its_A_label()
    {
        var r = await EvaluateAsync("joe@bücher.example");
        Assert.Equal(("xn--bcher-kva.example", DmarcResultCode.Fail, DmarcPolicy.Reject), (r.FromDomain, r.Result, r.Policy!.Value));
        var passing = await EvaluateAsync("joe@BÜCHER.example", Pass("xn--bcher-kva.example"));
        Assert.Equal(DmarcResultCode.Pass, passing.Result);
    }

    [Theory]
    [InlineData("a@example.com, b@bogus.example", "fail")]
    [InlineData("Undisclosed:;", "permerror")]
    [InlineData("", "permerror")]
    [InlineData("just a name", "permerror")]
    public async Task From_fields_with_two_addresses_none_or_an_empty_group(string from, string expected) =>
        Assert.Equal(expected, (await EvaluateAsync(from)).Result.Word());

    [Fact]
    public void The_record_lint_says_what_receivers_make_of_an_invalid_policy()
    {
        Assert.Null(DmarcRecord.Parse("v=DMARC1; p=bogus").Usable);
        var withRua = DmarcRecord.Parse("v=DMARC1; p=bogus; sp=reject; rua=mailto:a@example.com");
        Assert.Equal((DmarcPolicy.None, (DmarcPolicy?)null), (withRua.Usable!.Policy, withRua.Usable.SubdomainPolicy));
        Assert.Contains(withRua.Warnings, w => w.Contains("receivers act as if the record said p=none"));
        var valid = DmarcRecord.Parse("v=DMARC1; p=reject");
        Assert.Same(valid, valid.Usable);
    }
}
