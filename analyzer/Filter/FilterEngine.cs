using System.Globalization;
using System.Net;
using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Mail;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// The policy engine, apart from the wire: given a message's envelope and content, applies the rules in order
/// (submission bypass, SPF/DKIM/DMARC with DNS trouble and DMARC enforcement, encrypted archives with their
/// exceptions, attachment removal for forged senders) and says what to do. Without an
/// <paramref name="authenticator"/> no authentication checks run. <paramref name="approvedExceptions"/> are the
/// exceptions approved in the store (<see cref="StoredExceptions"/>), beside the configuration's.
/// </summary>
internal sealed class FilterEngine(Func<FilterOptions> options, TimeProvider time, ILogger<FilterEngine> logger,
    MessageAuthenticator? authenticator = null, Func<IReadOnlyList<FilterException>>? approvedExceptions = null)
{
    private const string TooLarge = "larger than the filter's limits, Filter:Milter:MaxMessageBytes, MaxHeaders or MaxHeaderBytes";

    private static readonly string FieldsLost = $"its header cannot be read: more than {Milter.MessageSpool.MaxFieldsPastCap} "
        + "Authentication-Results or From fields past Filter:Milter:MaxHeaders";

    /// <summary>
    /// Bounds the memory of content checks across connections (<see cref="Milter.MilterOptions.MaxConcurrentChecks"/>):
    /// only the MIME parsing and archive inspection wait for a turn, never the submission bypass, a truncated message,
    /// the authentication checks (their DNS waits would hold a turn for nothing) or a DMARC reject.
    /// </summary>
    private readonly SemaphoreSlim _contentChecks = new(options().Milter.MaxConcurrentChecks);

    /// <summary>Rule 1: mail from an authenticated client, or on a submission listener, is not checked.</summary>
    public bool IsSubmission(MessageEnvelope envelope) =>
        envelope.AuthenticatedUser is not null
        || envelope.DaemonName is { } daemon && options().SubmissionListeners.Contains(daemon, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Decides one message. <paramref name="message"/> is the whole message (header block, blank line, body);
    /// <paramref name="headers"/> are its top-level header fields in order, as the MTA sent them. The stream must
    /// be seekable: the authentication checks and the MIME rules each read it from the start. When it is not
    /// <see cref="MessageCompleteness.Whole"/> (past the size or header-count cap), only the header fields are checked.
    /// </summary>
    public async Task<Verdict> DecideAsync(MessageEnvelope envelope, IReadOnlyList<(string Name, string Value)> headers,
        Stream message, MessageCompleteness completeness, CancellationToken ct)
    {
        var truncated = completeness != MessageCompleteness.Whole;
        var settings = options();
        if (IsSubmission(envelope))
            return new Verdict(VerdictAction.Accept, envelope.AuthenticatedUser is not null
                ? $"submission (authenticated as {envelope.AuthenticatedUser})"
                : $"submission (listener {envelope.DaemonName})");
        // Padding a message past the limits (size or header count) must not be a way around every check: its content
        // meets the rule for what could not be inspected, and SPF, DMARC and forged-field removal run on its header.
        Func<MessageAuthentication?, Task<Verdict>> content = truncated
            ? _ => Task.FromResult(NotInspected(settings, envelope, completeness))
            : authentication => DecideContentAsync(settings, envelope, headers, message, authentication, ct);
        if (authenticator is null || !settings.Authentication.Enabled)
            return await content(null);

        var start = message.Position;
        var checks = settings.Authentication;
        MessageAuthentication? authentication;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            limit.CancelAfter(checks.TimeLimit);
            try
            {
                var smtp = new SmtpIdentities(envelope.ClientAddress, envelope.Helo, envelope.Sender);
                authentication = truncated
                    ? await authenticator.AuthenticateHeaderAsync(smtp, headers, $"not verified: {TooLarge}", limit.Token)
                    : await authenticator.AuthenticateAsync(smtp, message, limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                authentication = null;
            }
        }
        message.Position = start;
        if (authentication is null)
            return await TimedOutAsync(checks, headers, content);
        authentication = TrustedSealers.Apply(authentication, settings.Arc.TrustedSealers);
        var undecided = Undecided(authentication);
        if (undecided is { } trouble && checks.OnDnsError == DnsErrorAction.Tempfail)
            return WithResults(new Verdict(VerdictAction.Tempfail, $"DNS temporary error: {trouble}") { RejectText = checks.TempfailText }, authentication);
        // Accepted despite DNS trouble: the undecided DMARC result neither enforces a policy nor marks the sender forged.
        var policy = undecided is null ? DmarcEnforcement(checks, envelope, authentication) : null;
        var verdict = policy ?? await content(undecided is null ? authentication : null);
        if (authentication.DmarcNotEvaluated is { } why)
            verdict = verdict with { Reason = $"{verdict.Reason}; DMARC not evaluated: {why}" };
        if (authentication.ForwardedBy is { } sealer)
            verdict = verdict with { Reason = $"{verdict.Reason}; {TrustedSealers.Overridden(sealer)}" };
        // The header's dis= says what was done (RFC 9990 §3.1.5, disposition applied), not what the policy asked for:
        // with enforcement off, a sender on the never-reject list or a trusted ARC sealer, a failing p=reject message
        // is delivered: dis=none.
        var applied = policy is null ? authentication with { Dmarc = authentication.Dmarc with { Disposition = DmarcPolicy.None } } : authentication;
        verdict = WithAuthenticationResults(verdict, applied, headers);
        if (undecided is null && verdict.Action != VerdictAction.Tempfail)
            verdict = verdict with { Reported = Reported(checks, envelope, authentication, verdict) };
        return settings.Arc.Seal?.Key is { } seal && !truncated
            ? await ArcSealing.SealAsync(seal, verdict, headers, message, start, time.GetUtcNow(), ct)
            : verdict;
    }

    /// <summary>
    /// The verdict for a message past the limits: the encrypted-archive action, unless an exception covers it. One
    /// whose Authentication-Results or From fields were not all kept has a header that cannot be read, the rule for
    /// a message whose structure cannot be read.
    /// </summary>
    private Verdict NotInspected(FilterOptions settings, MessageEnvelope envelope, MessageCompleteness completeness) =>
        NotInspected(settings, envelope, completeness == MessageCompleteness.FieldsLost ? FieldsLost : TooLarge);

    private Verdict NotInspected(FilterOptions settings, MessageEnvelope envelope, string why) =>
        FindException(settings, envelope) is { } exception
            ? new Verdict(VerdictAction.Accept, "message not fully inspected, allowed by exception") { ExceptionUsed = exception.ToString() }
            : ArchiveVerdict(new EncryptedFinding("the message", why, NotInspected: true), settings);

    private async Task<Verdict> DecideContentAsync(FilterOptions settings, MessageEnvelope envelope,
        IReadOnlyList<(string Name, string Value)> headers, Stream message, MessageAuthentication? authentication, CancellationToken ct)
    {
        await _contentChecks.WaitAsync(ct);
        // The checks end at the MTA's abort or disconnect (ct) and at Filter:ContentTimeLimit, which fails closed.
        using var timeLimit = new CancellationTokenSource(settings.ContentTimeLimit, time);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct, timeLimit.Token);
        try
        {
            return await InspectContentAsync(settings, envelope, headers, message, authentication, limit.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return NotInspected(settings, envelope, $"content checks took longer than Filter:ContentTimeLimit ({settings.ContentTimeLimit.TotalSeconds:0.#} s)");
        }
        finally
        {
            _contentChecks.Release();
        }
    }

    private async Task<Verdict> InspectContentAsync(FilterOptions settings, MessageEnvelope envelope,
        IReadOnlyList<(string Name, string Value)> headers, Stream message, MessageAuthentication? authentication, CancellationToken ct)
    {
        ParsedMessage? root = null;
        EncryptedFinding? unreadable = null;
        try
        {
            root = await BoundedMimeParser.ParseAsync(message, MimeLimits.Default, ct);
        }
        catch (MimeFormatException e)
        {
            // A structure too deep or too large to read could hide an encrypted archive: it meets the same rule
            // as an archive the limits keep us from inspecting (exceptions still apply).
            unreadable = new EncryptedFinding("the message", $"its MIME structure cannot be read ({e.Message})", NotInspected: true);
        }
        var attachments = root?.Descendants().Where(MimeEntityFacts.CountsAsAttachment).ToList() ?? [];

        var edits = new List<HeaderEdit>();
        string? exceptionUsed = null;
        var allowed = "encrypted attachment allowed by exception";
        string? tagged = null;
        if ((unreadable ?? FindEncrypted(attachments, settings, new InspectionBudget(settings.MaxInflatedBytes, ct))) is { } finding)
        {
            var reason = finding.Reason;
            var exception = FindException(settings, envelope);
            if (exception is not null)
            {
                exceptionUsed = exception.ToString();
                if (finding.NotInspected)
                    allowed = "archive not fully inspected, allowed by exception";
            }
            else
            {
                var action = ArchiveVerdict(finding, settings);
                if (action.Action != VerdictAction.Tag)
                    return action;
                edits.AddRange(action.HeaderEdits);
                tagged = reason;
            }
        }

        if (root is not null && attachments.Count > 0 && ForgedBecause(settings, envelope, headers, authentication) is { } forged)
        {
            var stripped = AttachmentStripper.Strip(root, settings.RemovedListFileName, ct);
            if (stripped.Removed.Count > 0)
            {
                edits.AddRange(HeaderEdits(stripped.HeaderChanges, headers));
                edits.Add(new HeaderEdit(settings.RemovedHeader,
                    $"{stripped.Removed.Count} attachment(s) removed and listed in {settings.RemovedListFileName}: {forged}"));
                return new Verdict(VerdictAction.RemoveAttachments, forged + (tagged is null ? "" : "; " + tagged))
                {
                    HeaderEdits = edits,
                    NewBody = stripped.Body,
                    RemovedAttachments = stripped.Removed.Select(r => r.FileName).ToArray(),
                    ExceptionUsed = exceptionUsed,
                };
            }
        }

        if (tagged is not null)
            return new Verdict(VerdictAction.Tag, tagged) { HeaderEdits = edits };
        return new Verdict(VerdictAction.Accept, exceptionUsed is null ? "no rule applied" : allowed)
        {
            ExceptionUsed = exceptionUsed,
        };
    }

    /// <summary>
    /// The first encrypted file among the attachments, else the first archive that could not be fully inspected; all
    /// of them spend from one <paramref name="budget"/> for the message.
    /// </summary>
    private static EncryptedFinding? FindEncrypted(IEnumerable<MimeEntity> attachments, FilterOptions settings, InspectionBudget budget)
    {
        var detector = new EncryptedContentDetector(settings.MaxArchiveDepth, settings.MaxArchiveMembers);
        EncryptedFinding? notInspected = null;
        foreach (var attachment in attachments)
        {
            var name = MimeEntityFacts.FileNameOf(attachment) ?? MimeEntityFacts.MimeTypeOf(attachment);
            if (detector.Inspect(MimeEntityFacts.DecodedContent(attachment, budget.Cancellation), name, budget) is not { } finding)
                continue;
            if (!finding.NotInspected)
                return finding;
            notInspected ??= finding;
        }
        return notInspected;
    }

    /// <summary>The first exception in force for this sender and its recipients; expired matches are logged.</summary>
    private FilterException? FindException(FilterOptions settings, MessageEnvelope envelope)
    {
        var now = time.GetUtcNow();
        foreach (var exception in approvedExceptions is null ? settings.Exceptions : settings.Exceptions.Concat(approvedExceptions()))
        {
            if (!exception.Matches(envelope.Sender, envelope.Recipients))
                continue;
            if (!exception.IsExpired(now))
                return exception;
            logger.LogInformation("exception {Exception} expired on {Expires:yyyy-MM-dd}; it no longer applies to {QueueId}",
                exception, exception.Expires, envelope.QueueId);
        }
        return null;
    }

    /// <summary>
    /// An address or CIDR range, or null when the entry is a domain. Bits past the prefix are ignored, as an
    /// administrator means them ("192.0.2.5/24"), where IPNetwork.TryParse would refuse the entry and it would
    /// silently never match.
    /// </summary>
    private static IPNetwork? Network(string entry)
    {
        var slash = entry.IndexOf('/');
        if (!IPAddress.TryParse(slash < 0 ? entry : entry[..slash], out var address))
            return null;
        var bits = address.GetAddressBytes();
        var prefix = bits.Length * 8;
        if (slash >= 0 && (!int.TryParse(entry[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits.Length * 8))
            return null;
        for (var i = 0; i < bits.Length; i++)
            bits[i] &= (byte)(0xFF << Math.Clamp(8 - (prefix - i * 8), 0, 8));
        return new IPNetwork(new IPAddress(bits), prefix);
    }

    /// <summary>The encrypted-archive action for a finding no exception covers: reject and quarantine end the decision, tag adds a header.</summary>
    private static Verdict ArchiveVerdict(EncryptedFinding finding, FilterOptions settings) => settings.EncryptedArchiveAction switch
    {
        EncryptedArchiveAction.Reject => new Verdict(VerdictAction.Reject, finding.Reason) { RejectText = settings.RejectText },
        EncryptedArchiveAction.Quarantine => new Verdict(VerdictAction.Quarantine, finding.Reason) { QuarantineReason = finding.Reason },
        _ => new Verdict(VerdictAction.Tag, finding.Reason) { HeaderEdits = [new HeaderEdit(settings.TagHeader, finding.Tag)] },
    };

    /// <summary>Why the sender counts as forged, or null: the authentication verdict as configured, or the static switches.</summary>
    private static string? ForgedBecause(FilterOptions settings, MessageEnvelope envelope, IReadOnlyList<(string Name, string Value)> headers,
        MessageAuthentication? authentication)
    {
        if (authentication is not null)
        {
            var when = settings.Authentication.ForgedWhen;
            if (when is ForgedWhen.DmarcFail or ForgedWhen.Either && authentication.Dmarc.Result == DmarcResultCode.Fail && authentication.ForwardedBy is null)
                return $"forged sender: DMARC fail for {authentication.Dmarc.FromDomain}";
            if (when is ForgedWhen.SpfFail or ForgedWhen.Either && authentication.Spf.Result == SpfResultCode.Fail)
                return $"forged sender: SPF fail for {authentication.Spf.Domain}";
        }
        if (settings.TreatAllSendersAsForged)
            return "sender treated as forged by configuration";
        if (settings.ForgedSenders.Any(pattern => FilterException.AddressMatches(pattern, envelope.Sender)))
            return "sender listed as forged in configuration";
        if (settings.ForgedMarkerHeader is { } marker
            && headers.Any(h => string.Equals(h.Name, marker, StringComparison.OrdinalIgnoreCase)))
            return $"sender marked forged by {marker}";
        return null;
    }

    /// <summary>
    /// DNS trouble that leaves DMARC undecided, said in a few words; null when there is none. DMARC could not be
    /// looked up, or it failed while SPF or a DKIM signature that could have aligned with the From domain hit a
    /// temporary error. A temperror that could not have changed the outcome (DMARC passed anyway, or a third
    /// party's broken selector) is only reported in the header: it neither tempfails the message nor shields it.
    /// </summary>
    private static string? Undecided(MessageAuthentication a)
    {
        var dmarc = a.Dmarc;
        if (dmarc.Result == DmarcResultCode.TempError)
            return $"DMARC for {dmarc.FromDomain}: {dmarc.Reason}";
        if (dmarc.Result != DmarcResultCode.Fail)
            return null;
        if (a.Spf.Result == SpfResultCode.TempError && dmarc.CouldAlignSpf(a.Spf.Domain))
            return $"SPF for {a.Spf.Domain}: {a.Spf.Comment}";
        if (a.Dkim.FirstOrDefault(d => d.Result == DkimResultCode.TempError && dmarc.CouldAlignDkim(d.Domain)) is { } dkim)
            return $"DKIM key {dkim.Selector}._domainkey.{dkim.Domain}: {dkim.Reason}";
        return null;
    }

    /// <summary>
    /// DMARC enforcement (off by default): a failing message whose From domain asks for reject or quarantine gets it,
    /// unless it comes from a sender on the never-reject list. The disposition is the evaluator's, which already takes
    /// t=y (and an old pct=0) into account; RFC 9989 has no pct sampling, so every failing message gets it.
    /// </summary>
    private Verdict? DmarcEnforcement(AuthenticationOptions checks, MessageEnvelope envelope, MessageAuthentication a)
    {
        var dmarc = a.Dmarc;
        if (!checks.EnforceDmarc || dmarc.Result != DmarcResultCode.Fail || dmarc.Disposition == DmarcPolicy.None)
            return null;
        var disposition = dmarc.Disposition;
        var reason = $"DMARC fail for {dmarc.FromDomain}, policy {dmarc.Policy?.Word()}";
        if (dmarc.Testing)
            reason += $" in testing mode, {disposition.Word()} applied";
        if (dmarc.PercentNote is { } percent)
            reason += $" ({percent})";
        if (a.ForwardedBy is { } sealer)
        {
            logger.LogInformation("{QueueId}: {Reason} not applied: forwarded, ARC chain sealed by trusted {Sealer}", envelope.QueueId, reason, sealer);
            return null;
        }
        if (NeverRejected(checks, envelope, a) is { } listed)
        {
            logger.LogInformation("{QueueId}: {Reason} not applied: {Listed} is on the never-reject list", envelope.QueueId, reason, listed);
            return null;
        }
        return disposition switch
        {
            DmarcPolicy.Reject => new Verdict(VerdictAction.Reject, reason) { RejectText = checks.DmarcRejectText },
            DmarcPolicy.Quarantine => new Verdict(VerdictAction.Quarantine, reason) { QuarantineReason = reason },
            _ => null,
        };
    }

    /// <summary>
    /// What an aggregate report says of the message (RFC 9990 §2.1): the disposition the verdict applied and, when a
    /// failing message's disposition is not the one its policy asked for, why: testing mode, enforcement off, a trusted
    /// ARC sealer, the never-reject list, or another rule of ours.
    /// </summary>
    private static Outgoing.ReportedMessage? Reported(AuthenticationOptions checks, MessageEnvelope envelope, MessageAuthentication a, Verdict verdict)
    {
        var applied = verdict.Action switch
        {
            VerdictAction.Reject => DmarcPolicy.Reject,
            VerdictAction.Quarantine => DmarcPolicy.Quarantine,
            _ => DmarcPolicy.None,
        };
        var dmarc = a.Dmarc;
        var reasons = new List<Outgoing.OverrideReason>();
        // A stricter disposition than the policy's came from another rule of ours; a milder one has the reasons below.
        if (dmarc.Result == DmarcResultCode.Fail && applied.Strictness() > (dmarc.Policy ?? DmarcPolicy.None).Strictness())
            reasons.Add(new(Outgoing.OverrideType.LocalPolicy, OtherRule(verdict)));
        else if (dmarc.Result == DmarcResultCode.Fail && applied != dmarc.Policy)
        {
            reasons.Add(dmarc.Testing ? new(Outgoing.OverrideType.PolicyTestMode, "t=y")
                : a.ForwardedBy is { } sealer ? new(Outgoing.OverrideType.TrustedForwarder, $"ARC chain sealed by {sealer}")
                : !checks.EnforceDmarc ? new(Outgoing.OverrideType.LocalPolicy, "DMARC policy not enforced by this receiver")
                : NeverRejected(checks, envelope, a) is not null ? new(Outgoing.OverrideType.LocalPolicy, "sender on the never-reject list")
                : new(Outgoing.OverrideType.LocalPolicy, OtherRule(verdict)));
        }
        return Outgoing.ReportedMessage.Of(envelope, a, applied.Word(), reasons);
    }

    /// <summary>
    /// The comment for a disposition another rule of ours decided. The verdict's own reason stays in our log: it names
    /// attachments and addresses of one message, which a report to the domain owner must not disclose, and it would
    /// split the report's rows message by message (RFC 9990, privacy and "disclosure of filtering information").
    /// </summary>
    private static string OtherRule(Verdict verdict) => verdict.Action switch
    {
        VerdictAction.Reject => "rejected by another rule of this receiver",
        VerdictAction.Quarantine => "quarantined by another rule of this receiver",
        _ => verdict.ExceptionUsed is null ? "delivered by a rule of this receiver" : "delivered under an exception of this receiver",
    };

    /// <summary>The never-reject entry the sender matches: its IP, or a domain it has proven (verified client name, SPF, DKIM).</summary>
    private static string? NeverRejected(AuthenticationOptions checks, MessageEnvelope envelope, MessageAuthentication a)
    {
        IPAddress.TryParse(envelope.ClientAddress, out var ip);
        var domains = new List<string>();
        if (envelope.VerifiedClientName is { } name)
            domains.Add(name);
        if (a.Spf.Result == SpfResultCode.Pass)
            domains.Add(a.Spf.Domain);
        domains.AddRange(a.Dkim.Where(d => d.Result == DkimResultCode.Pass).Select(d => d.Domain));
        foreach (var entry in checks.NeverReject)
        {
            if (ip is not null && Network(entry) is { } network)
            {
                if (network.Contains(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip))
                    return entry;
            }
            else if (domains.Any(d => FilterException.AddressMatches(entry, d)))
                return entry;
        }
        return null;
    }

    /// <summary>The verdict with the SPF, DKIM and DMARC results the log keeps, as RFC 8601 words.</summary>
    private static Verdict WithResults(Verdict verdict, MessageAuthentication a) => verdict with
    {
        Spf = a.Spf.Result.Word(),
        Dkim = (a.Dkim.Count == 0 ? DkimResultCode.None
            : a.Dkim.Any(d => d.Result == DkimResultCode.Pass) ? DkimResultCode.Pass : a.Dkim[0].Result).Word(),
        Dmarc = a.Dmarc.Result.Word(),
    };

    /// <summary>
    /// Adds our Authentication-Results field on top, after deleting those that claim our authserv-id (RFC 8601 §5):
    /// the deletions come first, from the last, so that the indexes stay those the MTA knows.
    /// </summary>
    private Verdict WithAuthenticationResults(Verdict verdict, MessageAuthentication a, IReadOnlyList<(string Name, string Value)> headers)
    {
        var edits = ForgedResultsRemoved(headers)
            .Append(new HeaderEdit(AuthenticationResultsWriter.FieldName, a.AuthenticationResults(authenticator!.AuthservId), OnTop: true))
            .Concat(verdict.HeaderEdits)
            .ToList();
        return WithResults(verdict, a) with { HeaderEdits = edits };
    }

    /// <summary>Deletions of the fields that claim our authserv-id (RFC 8601 §5), from the last so the indexes stay valid.</summary>
    private IEnumerable<HeaderEdit> ForgedResultsRemoved(IReadOnlyList<(string Name, string Value)> headers)
    {
        var existing = headers.Where(h => string.Equals(h.Name, AuthenticationResultsWriter.FieldName, StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Value);
        return AuthenticationResultsParser.ForgedInstances(existing, authenticator!.AuthservId).Reverse()
            .Select(n => new HeaderEdit(AuthenticationResultsWriter.FieldName, null, (uint)n));
    }

    /// <summary>
    /// SPF, DKIM and DMARC did not finish in time (a sender's slow DNS must not hold the message past the MTA's
    /// timeout): DNS trouble, as configured. Fields claiming our authserv-id still go, or a forger could slow his
    /// own DNS to keep his.
    /// </summary>
    private async Task<Verdict> TimedOutAsync(AuthenticationOptions checks, IReadOnlyList<(string Name, string Value)> headers,
        Func<MessageAuthentication?, Task<Verdict>> content)
    {
        var why = $"DNS temporary error: SPF, DKIM and DMARC took longer than {checks.TimeLimit.TotalSeconds:0.#} s";
        if (checks.OnDnsError == DnsErrorAction.Tempfail)
            return new Verdict(VerdictAction.Tempfail, why) { RejectText = checks.TempfailText };
        var verdict = await content(null);
        return verdict with { Reason = $"{verdict.Reason}; {why}", HeaderEdits = [.. ForgedResultsRemoved(headers), .. verdict.HeaderEdits] };
    }

    /// <summary>
    /// Turns "set this field to that value (null: remove it)" into milter header changes: the first occurrence is
    /// changed, further ones deleted from the last so that the indexes stay valid, a missing one added.
    /// </summary>
    private static IEnumerable<HeaderEdit> HeaderEdits(IReadOnlyList<(string Name, string? Value)> changes, IReadOnlyList<(string Name, string Value)> headers)
    {
        foreach (var (name, value) in changes)
        {
            var count = (uint)headers.Count(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));
            for (var index = count; index > 1; index--)
                yield return new HeaderEdit(name, null, index);
            if (count >= 1)
                yield return new HeaderEdit(name, value, 1);
            else if (value is not null)
                yield return new HeaderEdit(name, value);
        }
    }
}
