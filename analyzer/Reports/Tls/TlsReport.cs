namespace DmarcAnalyzer.Reports.Tls;

/// <summary>An SMTP TLS report (RFC 8460 section 4), every field kept; absent optional fields are null.</summary>
internal sealed record TlsReport(
    string OrganizationName,
    DateTimeOffset Begin,
    DateTimeOffset End,
    string? ContactInfo,
    string ReportId,
    IReadOnlyList<TlsPolicyResult> Policies);

/// <summary>One policy's block (RFC 8460 section 4.4): the policy applied, its session counts and failure details.</summary>
/// <param name="PolicyTypeText">The policy-type as sent, lower-cased (unknown types are kept as text).</param>
/// <param name="PolicyStrings">The policy-string lines (a single string, as some senders send it, is one line).</param>
/// <param name="PolicyDomain">Lower-cased, without a trailing dot; null when the sender left it out.</param>
internal sealed record TlsPolicyResult(
    TlsPolicyType PolicyType,
    string PolicyTypeText,
    IReadOnlyList<string> PolicyStrings,
    string? PolicyDomain,
    IReadOnlyList<string> MxHosts,
    long SuccessfulSessions,
    long FailedSessions,
    IReadOnlyList<TlsFailureDetail> FailureDetails);

/// <summary>One failure-details entry (RFC 8460 section 4.4).</summary>
/// <param name="ResultTypeText">The result-type as sent, lower-cased: types outside RFC 8460 section 4.3 are kept as text.</param>
internal sealed record TlsFailureDetail(
    TlsResultType ResultType,
    string ResultTypeText,
    string? SendingMtaIp,
    string? ReceivingMxHostname,
    string? ReceivingMxHelo,
    string? ReceivingIp,
    long FailedSessions,
    string? AdditionalInformation,
    string? FailureReasonCode);

/// <summary>RFC 8460 section 4.4 policy-type.</summary>
internal enum TlsPolicyType
{
    Other,
    Sts,
    Tlsa,
    NoPolicyFound,
}

/// <summary>RFC 8460 section 4.3 result types; <see cref="Other"/> for anything else (its text is kept beside it).</summary>
internal enum TlsResultType
{
    Other,
    StarttlsNotSupported,
    CertificateHostMismatch,
    CertificateExpired,
    CertificateNotTrusted,
    ValidationFailure,
    TlsaInvalid,
    DnssecInvalid,
    DaneRequired,
    StsPolicyFetchError,
    StsPolicyInvalid,
    StsWebpkiInvalid,
}

internal static class TlsNames
{
    public static TlsPolicyType PolicyType(string text) => text switch
    {
        "sts" => TlsPolicyType.Sts,
        "tlsa" => TlsPolicyType.Tlsa,
        "no-policy-found" => TlsPolicyType.NoPolicyFound,
        _ => TlsPolicyType.Other,
    };

    public static TlsResultType ResultType(string text) => text switch
    {
        "starttls-not-supported" => TlsResultType.StarttlsNotSupported,
        "certificate-host-mismatch" => TlsResultType.CertificateHostMismatch,
        "certificate-expired" => TlsResultType.CertificateExpired,
        "certificate-not-trusted" => TlsResultType.CertificateNotTrusted,
        "validation-failure" => TlsResultType.ValidationFailure,
        "tlsa-invalid" => TlsResultType.TlsaInvalid,
        "dnssec-invalid" => TlsResultType.DnssecInvalid,
        "dane-required" => TlsResultType.DaneRequired,
        "sts-policy-fetch-error" => TlsResultType.StsPolicyFetchError,
        "sts-policy-invalid" => TlsResultType.StsPolicyInvalid,
        "sts-webpki-invalid" => TlsResultType.StsWebpkiInvalid,
        _ => TlsResultType.Other,
    };
}
