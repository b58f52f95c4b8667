using MimeKit;
using MimeKit.Utils;

namespace DmarcAnalyzer.Reports.Failure;

/// <summary>
/// Reads a DMARC failure report from an ARF message already parsed by MimeKit (within our MIME caps): the
/// message/feedback-report part's fields (RFC 5965 section 3.1, RFC 6591 section 3.1) and the header fields of the
/// returned message (RFC 6591 section 3.3). Tolerant of what real reporters send: multipart/mixed instead of
/// multipart/report, a base64-encoded report part, "Version: 1.0", the original as text/rfc822-headers or missing.
/// </summary>
internal static class FailureReportReader
{
    /// <summary>
    /// The most of the report part read: its fields take a few hundred bytes. A part MimeKit left encoded (base64) was
    /// not bounded by our MIME caps, so its decoded size is bounded here.
    /// </summary>
    public const int MaxReportPartBytes = 64 * 1024;

    /// <summary>The most of an encoded returned message read for its header fields, as the MIME caps bound a header block.</summary>
    public const int MaxReturnedHeaderBytes = 1 << 20;

    /// <summary>True when the message carries an ARF report part (whatever its Feedback-Type).</summary>
    public static bool IsArf(MimeMessage message) => FeedbackPart(message) is not null;

    /// <param name="raw">The message's raw bytes, for its identity.</param>
    public static FailureReport Read(MimeMessage message, ReadOnlySpan<byte> raw, CancellationToken ct)
    {
        var part = FeedbackPart(message) ?? throw new ReportFormatException("the e-mail has no message/feedback-report part (RFC 5965 section 2)");
        var fields = Fields(part, ct);
        var feedbackType = First(fields, "Feedback-Type")?.ToLowerInvariant();
        if (feedbackType is null)
            throw new ReportFormatException("the ARF report part has no Feedback-Type field (RFC 5965 section 3.1)");
        if (feedbackType != "auth-failure")
            throw new ReportFormatException(
                $"an ARF report of Feedback-Type \"{Shorten(feedbackType)}\" (abuse, fraud, ...), not a DMARC failure report (auth-failure, RFC 6591)");
        var original = Original(message, ct);
        var reportDate = message.Headers.Contains(HeaderId.Date) && DateUtils.TryParse(message.Headers[HeaderId.Date], out var date) ? date : (DateTimeOffset?)null;
        var arrivalText = First(fields, "Arrival-Date") ?? First(fields, "Received-Date");
        var arrival = arrivalText is not null && DateUtils.TryParse(arrivalText, out var arrived) ? arrived : reportDate;
        var reportAuthResults = All(fields, "Authentication-Results", "\n");
        return new FailureReport(
            reportDate,
            message.From.Mailboxes.FirstOrDefault()?.Domain is { Length: > 0 } from ? from.Trim().TrimEnd('.').ToLowerInvariant() : null,
            feedbackType,
            First(fields, "User-Agent"),
            First(fields, "Version"),
            All(fields, "Reported-Domain", ", ")?.ToLowerInvariant(),
            SourceIp(First(fields, "Source-IP")),
            All(fields, "Auth-Failure", ", ")?.ToLowerInvariant(),
            First(fields, "Identity-Alignment")?.ToLowerInvariant(),
            First(fields, "Delivery-Result")?.ToLowerInvariant(),
            First(fields, "DKIM-Domain")?.ToLowerInvariant(),
            First(fields, "DKIM-Selector"),
            All(fields, "SPF-DNS", "\n"),
            First(fields, "Original-Mail-From"),
            All(fields, "Original-Rcpt-To", ", "),
            arrivalText,
            arrival,
            original is null
                ? ReturnedMessage.None with { AuthenticationResults = reportAuthResults }
                : new ReturnedMessage(
                    First(original, "From"), All(original, "To", ", "), First(original, "Subject"), First(original, "Date"),
                    First(original, "Message-ID"), All(original, "Authentication-Results", "\n") ?? reportAuthResults),
            FailureReportIdentity.Of(raw));
    }

    private static MimeEntity? FeedbackPart(MimeMessage message) =>
        message.BodyParts.FirstOrDefault(p => p.ContentType.IsMimeType("message", "feedback-report"));

    /// <summary>RFC 5965 section 2: the report part is header fields; some reporters base64-encode it.</summary>
    private static HeaderList Fields(MimeEntity part, CancellationToken ct)
    {
        var (content, whole) = Decoded(part, MaxReportPartBytes);
        if (content.Length == 0)
            throw new ReportFormatException("the message/feedback-report part is empty (RFC 5965 section 3)");
        if (!whole)
            throw new ReportFormatException($"the message/feedback-report part is larger than {MaxReportPartBytes / 1024} KB, the most read (RFC 5965 section 3: a few header fields)");
        try
        {
            return HeaderList.Load(new MemoryStream(content, writable: false), ct);
        }
        catch (FormatException e)
        {
            throw new ReportFormatException("the message/feedback-report part is not a block of header fields (RFC 5965 section 3)", e);
        }
    }

    /// <summary>
    /// The returned message's header fields: a message/rfc822 part (RFC 6591 section 3.3), its headers alone
    /// (text/rfc822-headers), or a message/rfc822 part a reporter encoded (which MimeKit leaves opaque).
    /// </summary>
    private static HeaderList? Original(MimeMessage message, CancellationToken ct)
    {
        foreach (var part in message.BodyParts)
        {
            switch (part)
            {
                case MessagePart { Message: { } returned }:
                    return returned.Headers;
                case MimePart when part.ContentType.IsMimeType("message", "rfc822") || part.ContentType.IsMimeType("message", "global")
                                   || part.ContentType.IsMimeType("text", "rfc822-headers"):
                    try
                    {
                        // Only the header block is wanted: what lies past the cap is the body, or a header block no reader needs whole.
                        return HeaderList.Load(new MemoryStream(Decoded(part, MaxReturnedHeaderBytes).Bytes, writable: false), ct);
                    }
                    catch (FormatException)
                    {
                        return null;
                    }
            }
        }
        return null;
    }

    /// <summary>The part's content decoded, at most <paramref name="max"/> bytes; <c>Whole</c> is false when there was more.</summary>
    private static (byte[] Bytes, bool Whole) Decoded(MimeEntity part, int max)
    {
        if (part is not MimePart { Content: { } content })
            return ([], true);
        using var decoded = content.Open();
        var buffer = new byte[max + 1];
        var read = decoded.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return read > max ? (buffer[..max], false) : (buffer[..read], true);
    }

    private static string? First(HeaderList headers, string name) =>
        headers.FirstOrDefault(h => h.Field.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } h && Clean(h.Value) is { } v ? v : null;

    private static string? All(HeaderList headers, string name, string separator)
    {
        var values = headers.Where(h => h.Field.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => Clean(h.Value)).OfType<string>().ToList();
        return values.Count == 0 ? null : string.Join(separator, values);
    }

    private static string? Clean(string? value)
    {
        if (value is null)
            return null;
        var text = string.Join(' ', value.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim())).Trim();
        return text.Length == 0 ? null : text;
    }

    /// <summary>RFC 5965 section 3.2: Source-IP is an address; reporters add "(hostname)" after it.</summary>
    private static string? SourceIp(string? value) =>
        value?.Split([' ', '\t', '('], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim('[', ']');

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
