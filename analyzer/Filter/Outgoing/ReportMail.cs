using MimeKit;

namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>
/// The mail that carries a report (RFC 9990 transport): From our report address, Subject "Report Domain: D Submitter: S
/// Report-ID: &lt;ID&gt;", a short text and the gzip file under its RFC 9990 name as application/gzip.
/// </summary>
internal static class ReportMail
{
    public static MimeMessage Build(OutgoingReport report, byte[] gzip, IReadOnlyList<ReportDestination> recipients, DateTimeOffset now)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(report.OrgName, report.Email));
        foreach (var recipient in recipients)
            message.To.Add(MailboxAddress.Parse(recipient.Address));
        message.Date = now;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(report.Receiver);
        message.Subject = $"Report Domain: {report.Policy.Domain} Submitter: {report.Receiver} Report-ID: <{report.ReportId}>";
        var text = new TextPart("plain")
        {
            Text = $"This is a DMARC aggregate report (RFC 9990) from {report.OrgName} for {report.Policy.Domain}, "
                + $"{report.Begin:yyyy-MM-dd} UTC: {report.Messages} messages in {report.Rows.Count} rows.\r\n",
        };
        var attachment = new MimePart("application", "gzip")
        {
            Content = new MimeContent(new MemoryStream(gzip, writable: false)),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = report.FileName,
        };
        message.Body = new Multipart("mixed") { text, attachment };
        return message;
    }
}
