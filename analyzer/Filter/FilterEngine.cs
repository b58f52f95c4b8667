using DmarcAnalyzer.Mail;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// The policy engine, apart from the wire: given a message's envelope and content, applies the rules in order
/// (submission bypass, encrypted archives with their exceptions, attachment removal for forged senders) and
/// says what to do.
/// </summary>
internal sealed class FilterEngine(Func<FilterOptions> options, TimeProvider time, ILogger<FilterEngine> logger)
{
    /// <summary>Rule 1: mail from an authenticated client, or on a submission listener, is not checked.</summary>
    public bool IsSubmission(MessageEnvelope envelope) =>
        envelope.AuthenticatedUser is not null
        || envelope.DaemonName is { } daemon && options().SubmissionListeners.Contains(daemon, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Decides one message. <paramref name="message"/> is the whole message (header block, blank line, body);
    /// <paramref name="headers"/> are its top-level header fields in order, as the MTA sent them.
    /// </summary>
    public async Task<Verdict> DecideAsync(MessageEnvelope envelope, IReadOnlyList<(string Name, string Value)> headers,
        Stream message, bool truncated, CancellationToken ct)
    {
        var settings = options();
        if (IsSubmission(envelope))
            return new Verdict(VerdictAction.Accept, envelope.AuthenticatedUser is not null
                ? $"submission (authenticated as {envelope.AuthenticatedUser})"
                : $"submission (listener {envelope.DaemonName})");
        if (truncated)
            return new Verdict(VerdictAction.Accept, "not inspected: larger than the filter's message size limit");

        MimeEntity root;
        try
        {
            root = await MimeParser.ParseAsync(message, MimeLimits.Default, ct);
        }
        catch (MimeFormatException e)
        {
            return new Verdict(VerdictAction.Accept, $"not inspected: {e.Message}");
        }
        var attachments = root.Descendants().Where(e => e.IsAttachment).ToList();

        var edits = new List<HeaderEdit>();
        string? exceptionUsed = null;
        string? tagged = null;
        if (FindEncrypted(attachments, settings) is { } finding)
        {
            var reason = $"encrypted attachment: {finding.Path} ({finding.Kind})";
            var exception = FindException(settings, envelope);
            if (exception is not null)
                exceptionUsed = exception.ToString();
            else
            {
                switch (settings.EncryptedArchiveAction)
                {
                    case EncryptedArchiveAction.Reject:
                        return new Verdict(VerdictAction.Reject, reason) { RejectText = settings.RejectText };
                    case EncryptedArchiveAction.Quarantine:
                        return new Verdict(VerdictAction.Quarantine, reason) { QuarantineReason = reason };
                    default:
                        edits.Add(new HeaderEdit(settings.TagHeader, $"{finding.Kind}; {finding.Path}"));
                        tagged = reason;
                        break;
                }
            }
        }

        if (attachments.Count > 0 && ForgedBecause(settings, envelope, headers) is { } forged)
        {
            var stripped = AttachmentStripper.Strip(root, settings.RemovedListFileName);
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
        return new Verdict(VerdictAction.Accept, exceptionUsed is null ? "no rule applied" : "encrypted attachment allowed by exception")
        {
            ExceptionUsed = exceptionUsed,
        };
    }

    private static EncryptedFinding? FindEncrypted(IEnumerable<MimeEntity> attachments, FilterOptions settings)
    {
        var detector = new EncryptedContentDetector(settings.MaxArchiveDepth, settings.MaxArchiveMembers, settings.MaxInflatedBytes);
        foreach (var attachment in attachments)
        {
            var name = attachment.FileName ?? attachment.ContentType.MimeType;
            if (detector.Inspect(attachment.DecodedContent.Span, name) is { } finding)
                return finding;
        }
        return null;
    }

    /// <summary>The first exception in force for this sender and its recipients; expired matches are logged.</summary>
    private FilterException? FindException(FilterOptions settings, MessageEnvelope envelope)
    {
        var now = time.GetUtcNow();
        foreach (var exception in settings.Exceptions)
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

    /// <summary>Why the sender counts as forged, or null. SPF/DKIM/DMARC take this over in part 2.</summary>
    private static string? ForgedBecause(FilterOptions settings, MessageEnvelope envelope, IReadOnlyList<(string Name, string Value)> headers)
    {
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
