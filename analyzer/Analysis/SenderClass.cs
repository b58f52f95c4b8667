namespace DmarcAnalyzer.Analysis;

/// <summary>What a message stream is, judged in this order: the first that applies wins.</summary>
internal enum SenderClass
{
    /// <summary>DMARC pass: aligned DKIM or aligned SPF passed (RFC 9989).</summary>
    Aligned,

    /// <summary>Fails DMARC but comes from a sender the configuration lists as the organisation's own or its service's.</summary>
    AuthorisedFailing,

    /// <summary>Fails DMARC because it was forwarded or went through a mailing list.</summary>
    Forwarded,

    /// <summary>
    /// Fails DMARC from a service the catalogue knows (an ESP, a CRM, a helpdesk) that the configuration does not list:
    /// probably a department's own account with it, not spoofing.
    /// </summary>
    KnownService,

    /// <summary>Fails DMARC from an unknown source: probably spoofing, or a sender nobody listed yet.</summary>
    UnknownFailing,
}

internal static class SenderClasses
{
    public static readonly IReadOnlyList<SenderClass> All =
        [SenderClass.Aligned, SenderClass.AuthorisedFailing, SenderClass.Forwarded, SenderClass.KnownService, SenderClass.UnknownFailing];

    public static string Label(this SenderClass c) => c switch
    {
        SenderClass.Aligned => "aligned",
        SenderClass.AuthorisedFailing => "authorised but failing",
        SenderClass.Forwarded => "forwarded",
        SenderClass.KnownService => "known service, not authorised",
        SenderClass.UnknownFailing => "unknown failing",
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };
}
