using System.Text;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Tls;

namespace DmarcAnalyzer.Tests.Reports;

public class TlsReportReaderTests
{
    private static TlsReport Read(string json, TlsReadLimits? limits = null) =>
        TlsReportReader.Read(Encoding.UTF8.GetBytes(json), limits ?? TlsReadLimits.Default);

    private static string Reason(string json, TlsReadLimits? limits = null) =>
        Assert.Throws<ReportFormatException>(() => Read(json, limits)).Message;

    [Fact]
    public void ReadsEveryFieldOfTheRfcExample()
    {
        var report = TlsReportReader.Read(File.ReadAllBytes(Corpus.Require("smtp-tls", "parsedmarc__rfc8460.json")), TlsReadLimits.Default);
        Assert.Equal("Company-X", report.OrganizationName);
        Assert.Equal("5065427c-23d3-47ca-b6e0-946ea0e8c4be", report.ReportId);
        Assert.Equal("sts-reporting@company-x.example", report.ContactInfo);
        Assert.Equal(new DateTimeOffset(2016, 4, 1, 0, 0, 0, TimeSpan.Zero), report.Begin);
        Assert.Equal(new DateTimeOffset(2016, 4, 1, 23, 59, 59, TimeSpan.Zero), report.End);
        var policy = Assert.Single(report.Policies);
        Assert.Equal(TlsPolicyType.Sts, policy.PolicyType);
        Assert.Equal("company-y.example", policy.PolicyDomain);
        Assert.Equal(["version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"], policy.PolicyStrings);
        Assert.Equal(["*.mail.company-y.example"], policy.MxHosts);
        Assert.Equal(5326, policy.SuccessfulSessions);
        Assert.Equal(303, policy.FailedSessions);
        Assert.Equal(3, policy.FailureDetails.Count);
        var starttls = policy.FailureDetails[1];
        Assert.Equal(TlsResultType.StarttlsNotSupported, starttls.ResultType);
        Assert.Equal("2001:db8:abcd:0013::1", starttls.SendingMtaIp);
        Assert.Equal("mx2.mail.company-y.example", starttls.ReceivingMxHostname);
        Assert.Equal("203.0.113.56", starttls.ReceivingIp);
        Assert.Equal(200, starttls.FailedSessions);
        Assert.Equal("https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported", starttls.AdditionalInformation);
        Assert.Equal("X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED", policy.FailureDetails[2].FailureReasonCode);
    }

    [Fact]
    public void ToleratesWhatRealSendersWrite()
    {
        var report = TlsReportReader.Read(File.ReadAllBytes(Corpus.Require("smtp-tls", "dmarcanalyzerapp__sample-lenient-tls.json")), TlsReadLimits.Default);
        Assert.Null(report.ContactInfo);
        var policy = report.Policies[0];
        Assert.Equal(TlsPolicyType.Sts, policy.PolicyType);
        Assert.Equal("acme.example", policy.PolicyDomain);
        Assert.Equal(["version: STSv1"], policy.PolicyStrings);
        Assert.Equal((42, 7), (policy.SuccessfulSessions, policy.FailedSessions));
        Assert.Equal((TlsResultType.Other, "quantum-handshake-flux"), (policy.FailureDetails[0].ResultType, policy.FailureDetails[0].ResultTypeText));
        Assert.Equal("mx1.acme.example", policy.FailureDetails[1].ReceivingMxHostname);
    }

    [Theory]
    [InlineData("starttls-not-supported", nameof(TlsResultType.StarttlsNotSupported))]
    [InlineData("certificate-host-mismatch", nameof(TlsResultType.CertificateHostMismatch))]
    [InlineData("certificate-expired", nameof(TlsResultType.CertificateExpired))]
    [InlineData("certificate-not-trusted", nameof(TlsResultType.CertificateNotTrusted))]
    [InlineData("validation-failure", nameof(TlsResultType.ValidationFailure))]
    [InlineData("tlsa-invalid", nameof(TlsResultType.TlsaInvalid))]
    [InlineData("dnssec-invalid", nameof(TlsResultType.DnssecInvalid))]
    [InlineData("dane-required", nameof(TlsResultType.DaneRequired))]
    [InlineData("sts-policy-fetch-error", nameof(TlsResultType.StsPolicyFetchError))]
    [InlineData("sts-policy-invalid", nameof(TlsResultType.StsPolicyInvalid))]
    [InlineData("sts-webpki-invalid", nameof(TlsResultType.StsWebpkiInvalid))]
    [InlineData("Something-New", nameof(TlsResultType.Other))]
    public void KnowsEveryResultTypeOfRfc8460(string text, string expected)
    {
        var detail = Read(Report($$"""{"result-type": "{{text}}", "failed-session-count": 2}""")).Policies[0].FailureDetails[0];
        Assert.Equal(expected, detail.ResultType.ToString());
        Assert.Equal(text.ToLowerInvariant(), detail.ResultTypeText);
    }

    [Theory]
    [InlineData("""{"report-id": "r", "date-range": {"start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-01T23:59:59Z"}, "policies": []}""", "no organization-name")]
    [InlineData("""{"organization-name": "o", "date-range": {"start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-01T23:59:59Z"}, "policies": []}""", "no report-id")]
    [InlineData("""{"organization-name": "o", "report-id": "r", "policies": []}""", "no date-range")]
    [InlineData("""{"organization-name": "o", "report-id": "r", "date-range": {"start-datetime": "yesterday", "end-datetime": "2026-01-01T23:59:59Z"}, "policies": []}""", "not a date-time")]
    [InlineData("""{"organization-name": "o", "report-id": "r", "date-range": {"start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-01T23:59:59Z"}}""", "no policies")]
    [InlineData("""{"organization-name": "o", "report-id": "r", """, "not valid JSON (line 1")]
    [InlineData("""{"feedback_type": "AuthFailure"}""", "not an SMTP TLS report")]
    [InlineData("""{"organization-name": "o"} {}""", "not valid JSON (line 1, byte")]
    public void BrokenReportsSayWhatIsWrong(string json, string words) => Assert.Contains(words, Reason(json));

    [Fact]
    public void CountsMustBeWholeAndNotNegative()
    {
        Assert.Contains("negative", Reason(Report("""{"result-type": "dane-required", "failed-session-count": -1}""")));
        Assert.Contains("not a whole number", Reason(Report("""{"result-type": "dane-required", "failed-session-count": "many"}""")));
    }

    [Fact]
    public void DepthPoliciesDetailsAndStringsAreBounded()
    {
        var deep = Report("""{"result-type": "dane-required", "x": """ + new string('[', 40) + new string(']', 40) + "}");
        Assert.Contains("not valid JSON", Reason(deep));
        var details = string.Join(",", Enumerable.Repeat("""{"result-type": "dane-required"}""", 11));
        Assert.Contains("more than 10 failure details", Reason(Report(details), TlsReadLimits.Default with { MaxFailureDetails = 10 }));
        Assert.Contains("longer than 100 characters", Reason(Report($$"""{"result-type": "{{new string('a', 101)}}"}"""), TlsReadLimits.Default with { MaxStringLength = 100 }));
        var policies = string.Join(",", Enumerable.Repeat("""{"policy": {"policy-type": "sts"}}""", 3));
        Assert.Contains("more than 2 policies", Reason(Wrap(policies), TlsReadLimits.Default with { MaxPolicies = 2 }));
    }

    internal static string Report(string details) =>
        Wrap($$"""{"policy": {"policy-type": "sts", "policy-domain": "example.com"}, "summary": {"total-successful-session-count": 1, "total-failure-session-count": 2}, "failure-details": [{{details}}]}""");

    private static string Wrap(string policies) =>
        $$"""{"organization-name": "o", "report-id": "r", "date-range": {"start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-01T23:59:59Z"}, "policies": [{{policies}}]}""";
}
