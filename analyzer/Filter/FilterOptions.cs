using DmarcAnalyzer.Milter;

namespace DmarcAnalyzer.Filter;

/// <summary>What to do with a message carrying an encrypted archive.</summary>
internal enum EncryptedArchiveAction
{
    /// <summary>Refuse it in the SMTP dialogue with 550 5.7.1: the sender learns at once.</summary>
    Reject,

    /// <summary>Accept it into the MTA's hold queue for a person to look at.</summary>
    Quarantine,

    /// <summary>Deliver it with a header that mail clients or sieve rules can act on.</summary>
    Tag,
}

/// <summary>The <c>Filter</c> section of dmarc.json; re-read on SIGHUP.</summary>
internal sealed class FilterOptions
{
    /// <summary>Values of the MTA's <c>{daemon_name}</c> macro that mark a submission listener (port 587/465).</summary>
    public List<string> SubmissionListeners { get; init; } = [];

    public EncryptedArchiveAction EncryptedArchiveAction { get; init; } = EncryptedArchiveAction.Reject;

    /// <summary>The text after 550; RFC 3463 code 5.7.1 "delivery not authorized, message refused".</summary>
    public string RejectText { get; init; } =
        "5.7.1 Encrypted attachments are not accepted: they cannot be checked for malware. Please share the file another way.";

    public string TagHeader { get; init; } = "X-Dmarc-Encrypted-Attachment";

    /// <summary>
    /// How many ZIPs deep inside the attachment to look for encrypted members. This and the two limits below fail
    /// closed: an archive they stop us from inspecting fully gets <see cref="EncryptedArchiveAction"/>, as does a
    /// member compressed in a way we cannot read.
    /// </summary>
    public int MaxArchiveDepth { get; init; } = 3;

    public int MaxArchiveMembers { get; init; } = 10_000;

    /// <summary>
    /// Bytes inflated or decoded at most while looking into one message, all its attachments together: many small
    /// costly archives in one message cost no more than one large one. A decoded 7z header byte counts eight.
    /// </summary>
    public long MaxInflatedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Wall-clock limit on the content checks of one message (MIME parsing and the archive rule), as
    /// <see cref="AuthenticationOptions.TimeLimit"/> is on authentication; past it the message "could not be fully
    /// inspected" and gets <see cref="EncryptedArchiveAction"/>.
    /// </summary>
    public TimeSpan ContentTimeLimit { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Senders allowed to send encrypted archives, with who approved it, why and until when.</summary>
    public List<FilterException> Exceptions { get; init; } = [];

    /// <summary>SPF, DKIM and DMARC checks, what counts as forged, DMARC enforcement, DNS trouble.</summary>
    public AuthenticationOptions Authentication { get; init; } = new();

    /// <summary>ARC (RFC 8617): trusted sealers, and our own seal.</summary>
    public ArcOptions Arc { get; init; } = new();

    /// <summary>
    /// Besides the authentication verdict, these switches mark a sender forged: every sender, listed addresses or
    /// domains, or any message carrying the named header (for tests).
    /// </summary>
    public bool TreatAllSendersAsForged { get; init; }

    public List<string> ForgedSenders { get; init; } = [];

    public string? ForgedMarkerHeader { get; init; }

    public string RemovedListFileName { get; init; } = "removed-attachments.txt";

    public string RemovedHeader { get; init; } = "X-Dmarc-Attachments-Removed";

    /// <summary>Verdicts waiting for the store at most; beyond it they are counted and dropped.</summary>
    public int VerdictQueueCapacity { get; init; } = 10_000;

    public int VerdictBatchSize { get; init; } = 200;

    public MilterOptions Milter { get; init; } = new();
}

/// <summary>
/// Permission for a sender (an address, or a whole domain) to send encrypted archives, optionally only to one
/// recipient. It stops applying after <see cref="Expires"/> (the whole day counts, UTC).
/// </summary>
internal sealed class FilterException
{
    public string Sender { get; init; } = "";

    public string? Recipient { get; init; }

    public string ApprovedBy { get; init; } = "";

    public string Reason { get; init; } = "";

    public DateOnly? Expires { get; init; }

    public bool IsExpired(DateTimeOffset now) => Expires is { } day && DateOnly.FromDateTime(now.UtcDateTime) > day;

    public bool Matches(string sender, IReadOnlyList<string> recipients) =>
        AddressMatches(Sender, sender) && (Recipient is null || recipients.Any(r => AddressMatches(Recipient, r)));

    /// <summary>A pattern with an @ names one address; without, a domain (and its subdomains when written ".domain").</summary>
    public static bool AddressMatches(string pattern, string address)
    {
        address = address.Trim().Trim('<', '>');
        if (pattern.Contains('@'))
            return string.Equals(pattern, address, StringComparison.OrdinalIgnoreCase);
        var domain = address[(address.LastIndexOf('@') + 1)..];
        return pattern.StartsWith('.')
            ? domain.EndsWith(pattern, StringComparison.OrdinalIgnoreCase) || string.Equals(domain, pattern[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(domain, pattern, StringComparison.OrdinalIgnoreCase);
    }

    public override string ToString() =>
        $"{Sender}{(Recipient is null ? "" : " → " + Recipient)} (approved by {ApprovedBy}{(Expires is { } d ? ", until " + d.ToString("yyyy-MM-dd") : "")})";
}
