namespace DmarcAnalyzer.Filter;

/// <summary>Which authentication failure makes a sender count as forged for the attachment rule.</summary>
internal enum ForgedWhen
{
    /// <summary>DMARC fail: the From domain publishes a policy and neither SPF nor DKIM passed aligned with it.</summary>
    DmarcFail,

    /// <summary>SPF fail of the envelope sender (the SaMMA case study's rule); works for domains without DMARC.</summary>
    SpfFail,

    /// <summary>Either of the two.</summary>
    Either,
}

/// <summary>What a DNS temporary error (temperror in SPF, DKIM or DMARC) does to the message.</summary>
internal enum DnsErrorAction
{
    /// <summary>Deliver it; the Authentication-Results field says temperror.</summary>
    Accept,

    /// <summary>Answer 451 4.4.3 so that the sender tries again later (RFC 7208 §8.6, RFC 9989).</summary>
    Tempfail,
}

/// <summary>The <c>Filter:Authentication</c> section: SPF, DKIM and DMARC on inbound mail.</summary>
internal sealed class AuthenticationOptions
{
    /// <summary>Off: no checks, no Authentication-Results field (the part-1 behaviour).</summary>
    public bool Enabled { get; init; } = true;

    public ForgedWhen ForgedWhen { get; init; } = ForgedWhen.DmarcFail;

    public DnsErrorAction OnDnsError { get; init; } = DnsErrorAction.Accept;

    public string TempfailText { get; init; } = "4.4.3 Temporary DNS failure while checking the sender; please try again later";

    /// <summary>
    /// How long SPF, DKIM and DMARC may take for one message, well within Postfix's milter_content_timeout
    /// (300 s by default); past it they count as DNS trouble and <see cref="OnDnsError"/> decides.
    /// </summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Apply the From domain's DMARC policy (reject or quarantine); off by default, results are only recorded.</summary>
    public bool EnforceDmarc { get; init; }

    public string DmarcRejectText { get; init; } = "5.7.1 Message rejected: it fails the DMARC policy of its From domain";

    /// <summary>
    /// Senders whose DMARC failures are never rejected or quarantined (forwarders, mailing lists): client IP
    /// addresses or networks (<c>192.0.2.0/24</c>), or domains (<c>lists.example.org</c>, <c>.example.org</c> with
    /// subdomains) matched against the client's verified name, an SPF-passing envelope sender and DKIM-passing signers.
    /// </summary>
    public List<string> NeverReject { get; init; } = [];
}
