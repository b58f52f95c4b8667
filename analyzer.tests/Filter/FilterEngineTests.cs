using System.Text;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Mail;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace DmarcAnalyzer.Tests.Filter;

public sealed class FilterEngineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MessageEnvelope Envelope(string sender = "alice@partner.example", string? auth = null, string? daemon = "smtpd") =>
        new("Q1", "192.0.2.1", "mx.partner.example", "mx.partner.example", sender, ["bob@example.net"], auth, daemon);

    private static async Task<Verdict> DecideAsync(FilterOptions options, byte[] message, MessageEnvelope? envelope = null)
    {
        var engine = new FilterEngine(() => options, new FixedTime(Now), NullLogger<FilterEngine>.Instance);
        return await engine.DecideAsync(envelope ?? Envelope(), TestMessages.Headers(message), new MemoryStream(message), MessageCompleteness.Whole, Ct);
    }

    private static byte[] WithEncryptedZip(string fileName = "invoice.zip") =>
        TestMessages.Multipart("Alice <alice@partner.example>", TestMessages.Attachment(fileName, TestMessages.EncryptedZip("invoice.doc"), "application/zip"));

    [Fact]
    public async Task AMessageWithAPlainZipIsAccepted()
    {
        var message = TestMessages.Multipart("a@partner.example", TestMessages.Attachment("a.zip", TestMessages.PlainZip(("a.txt", "x"u8.ToArray()))));
        var verdict = await DecideAsync(new FilterOptions(), message);
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Equal("no rule applied", verdict.Reason);
    }

    [Fact]
    public async Task AnEncryptedZipIsRejectedWith550571ByDefault()
    {
        var verdict = await DecideAsync(new FilterOptions(), WithEncryptedZip());
        Assert.Equal(VerdictAction.Reject, verdict.Action);
        Assert.StartsWith("5.7.1 ", verdict.RejectText);
        Assert.Contains("invoice.zip/invoice.doc", verdict.Reason);
        var decision = FilterMilterHandler.ToDecision(verdict);
        Assert.Equal(DmarcAnalyzer.Milter.MilterReply.WithCode(550, verdict.RejectText!), decision.Reply);
    }

    [Fact]
    public async Task ANestedEncryptedZipIsFound()
    {
        var nested = TestMessages.PlainZip(("inner.zip", TestMessages.EncryptedZip("x.exe", aes: true)));
        var message = TestMessages.Multipart("a@partner.example", TestMessages.Attachment("outer.zip", nested));
        var verdict = await DecideAsync(new FilterOptions(), message);
        Assert.Equal(VerdictAction.Reject, verdict.Action);
        Assert.Contains("outer.zip/inner.zip/x.exe (ZIP (AES))", verdict.Reason);
    }

    [Theory]
    [InlineData("RFC 2231")]
    [InlineData("RFC 2047")]
    public async Task JapaneseFileNamesAreDecodedInTheVerdict(string encoding)
    {
        const string name = "請求書.zip";
        var part = encoding == "RFC 2231"
            ? new TestMessages.Part("application/zip", "attachment; filename*=UTF-8''" + Uri.EscapeDataString(name), TestMessages.EncryptedZip("中身.doc"))
            : new TestMessages.Part($"application/zip; name=\"=?UTF-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(name))}?=\"", "attachment", TestMessages.EncryptedZip("中身.doc"));
        var verdict = await DecideAsync(new FilterOptions(), TestMessages.Multipart("a@partner.example", part));
        Assert.Equal(VerdictAction.Reject, verdict.Action);
        Assert.Contains("請求書.zip/中身.doc", verdict.Reason);
    }

    [Fact]
    public async Task AFileNameWithAnEncodedLineBreakAddsNoHeaderLineOnTheWire()
    {
        var part = new TestMessages.Part("application/zip", "attachment; filename*=UTF-8''a.zip%0D%0ABcc%3A%20victim%40example.net%00",
            TestMessages.EncryptedZip("x.doc"));
        var verdict = await DecideAsync(new FilterOptions { EncryptedArchiveAction = EncryptedArchiveAction.Tag },
            TestMessages.Multipart("a@partner.example", part));
        Assert.Equal(VerdictAction.Tag, verdict.Action);
        var wire = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var modification in FilterMilterHandler.ToDecision(verdict).Modifications)
            DmarcAnalyzer.Milter.MilterReplyWriter.Write(wire, modification);
        var data = Encoding.UTF8.GetString(wire.WrittenSpan[5..]);
        Assert.Equal("X-Dmarc-Encrypted-Attachment\0ZIP (PKWARE); a.zip Bcc: victim@example.net /x.doc\0", data);
    }

    [Fact]
    public async Task AMessageTooDeepToReadGetsTheEncryptedArchiveActionAndExceptionsStillApply()
    {
        var bomb = new StringBuilder("From: a@partner.example\r\nSubject: nested\r\nMIME-Version: 1.0\r\n");
        for (var i = 0; i < 100; i++)
            bomb.Append($"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n");
        var message = Encoding.ASCII.GetBytes(bomb.ToString());

        var rejected = await DecideAsync(new FilterOptions(), message);
        Assert.Equal(VerdictAction.Reject, rejected.Action);
        Assert.StartsWith("archive could not be fully inspected: its MIME structure cannot be read", rejected.Reason);

        var allowed = await DecideAsync(new FilterOptions
        {
            Exceptions = [new FilterException { Sender = "partner.example", ApprovedBy = "it", Reason = "test" }],
        }, message);
        Assert.Equal(VerdictAction.Accept, allowed.Action);
        Assert.NotNull(allowed.ExceptionUsed);
    }

    [Fact]
    public async Task AnArchiveTheLimitsKeepUsFromInspectingGetsTheEncryptedArchiveActionAndExceptionsStillApply()
    {
        // One member eats the whole inflate budget: the encrypted ZIP behind it is never looked at.
        var zip = TestMessages.PlainZip(("padding.bin", new byte[1 << 20]), ("inner.zip", TestMessages.EncryptedZip("x.exe")));
        var message = TestMessages.Multipart("a@partner.example", TestMessages.Attachment("invoice.zip", zip, "application/zip"));
        var options = new FilterOptions { MaxInflatedBytes = 1 << 20 };

        var rejected = await DecideAsync(options, message);
        Assert.Equal(VerdictAction.Reject, rejected.Action);
        Assert.StartsWith("archive could not be fully inspected: inflate limit reached", rejected.Reason);
        Assert.EndsWith(": invoice.zip/inner.zip", rejected.Reason);

        var tagged = await DecideAsync(new FilterOptions { MaxInflatedBytes = 1 << 20, EncryptedArchiveAction = EncryptedArchiveAction.Tag }, message);
        Assert.Equal(VerdictAction.Tag, tagged.Action);
        Assert.StartsWith("not fully inspected (inflate limit reached", Assert.Single(tagged.HeaderEdits).Value);

        var allowed = await DecideAsync(new FilterOptions
        {
            MaxInflatedBytes = 1 << 20,
            Exceptions = [new FilterException { Sender = "partner.example", ApprovedBy = "it", Reason = "test" }],
        }, message);
        Assert.Equal(VerdictAction.Accept, allowed.Action);
        Assert.Equal("archive not fully inspected, allowed by exception", allowed.Reason);
        Assert.NotNull(allowed.ExceptionUsed);
    }

    [Fact]
    public async Task ContentChecksBeyondTheLimitWaitForATurnAndSubmissionsNeverWait()
    {
        var options = new FilterOptions { Milter = new DmarcAnalyzer.Milter.MilterOptions { MaxConcurrentChecks = 1 } };
        var engine = new FilterEngine(() => options, new FixedTime(Now), NullLogger<FilterEngine>.Instance);
        var message = WithEncryptedZip();
        using var first = new GatedStream(message);
        using var second = new GatedStream(message);

        var firstVerdict = engine.DecideAsync(Envelope(), TestMessages.Headers(message), first, MessageCompleteness.Whole, Ct);
        await first.ReadStarted.Task.WaitAsync(Ct);
        var secondVerdict = engine.DecideAsync(Envelope(), TestMessages.Headers(message), second, MessageCompleteness.Whole, Ct);
        // The engine gets to the parser's first read synchronously: not reaching it means waiting for the turn.
        Assert.False(second.ReadStarted.Task.IsCompleted);

        var submission = engine.DecideAsync(Envelope(auth: "alice"), TestMessages.Headers(message), new MemoryStream(message), MessageCompleteness.Whole, Ct);
        Assert.True(submission.IsCompleted);
        Assert.Equal(VerdictAction.Accept, (await submission).Action);

        first.Open.SetResult();
        Assert.Equal(VerdictAction.Reject, (await firstVerdict).Action);
        await second.ReadStarted.Task.WaitAsync(Ct);
        second.Open.SetResult();
        Assert.Equal(VerdictAction.Reject, (await secondVerdict).Action);
    }

    /// <summary>A message stream whose first read says so and then waits until <see cref="Open"/> is set.</summary>
    private sealed class GatedStream(byte[] content) : MemoryStream(content)
    {
        public TaskCompletionSource ReadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ReadStarted.TrySetResult();
            await Open.Task.WaitAsync(cancellationToken);
            return await base.ReadAsync(buffer, cancellationToken);
        }

        // MimeKit's parser reads through the array overload.
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    [Fact]
    public async Task QuarantineAndTagActions()
    {
        var quarantined = await DecideAsync(new FilterOptions { EncryptedArchiveAction = EncryptedArchiveAction.Quarantine }, WithEncryptedZip());
        Assert.Equal(VerdictAction.Quarantine, quarantined.Action);
        Assert.Contains(FilterMilterHandler.ToDecision(quarantined).Modifications, m => m is DmarcAnalyzer.Milter.MilterModification.Quarantine);

        var tagged = await DecideAsync(new FilterOptions { EncryptedArchiveAction = EncryptedArchiveAction.Tag }, WithEncryptedZip());
        Assert.Equal(VerdictAction.Tag, tagged.Action);
        var header = Assert.Single(tagged.HeaderEdits);
        Assert.Equal("X-Dmarc-Encrypted-Attachment", header.Name);
        Assert.Null(header.Index);
    }

    [Fact]
    public async Task AnAuthenticatedSubmissionCarryingAnEncryptedZipIsNotChecked()
    {
        var verdict = await DecideAsync(new FilterOptions(), WithEncryptedZip(), Envelope(auth: "alice"));
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.StartsWith("submission", verdict.Reason);

        var listener = await DecideAsync(new FilterOptions { SubmissionListeners = ["submission"] }, WithEncryptedZip(), Envelope(daemon: "submission"));
        Assert.Equal("submission (listener submission)", listener.Reason);
    }

    [Fact]
    public async Task AnExceptionInForceLetsTheArchiveThroughAndIsRecorded()
    {
        var exception = new FilterException { Sender = "partner.example", ApprovedBy = "ciso", Reason = "payroll", Expires = new DateOnly(2026, 11, 22) };
        var verdict = await DecideAsync(new FilterOptions { Exceptions = [exception] }, WithEncryptedZip());
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Equal(exception.ToString(), verdict.ExceptionUsed);
    }

    [Fact]
    public async Task AnExpiredExceptionOrOneForAnotherRecipientNoLongerApplies()
    {
        var expired = new FilterException { Sender = "alice@partner.example", ApprovedBy = "ciso", Reason = "x", Expires = new DateOnly(2026, 11, 21) };
        Assert.Equal(VerdictAction.Reject, (await DecideAsync(new FilterOptions { Exceptions = [expired] }, WithEncryptedZip())).Action);

        var otherRecipient = new FilterException { Sender = "alice@partner.example", Recipient = "carol@example.net", ApprovedBy = "ciso", Reason = "x" };
        Assert.Equal(VerdictAction.Reject, (await DecideAsync(new FilterOptions { Exceptions = [otherRecipient] }, WithEncryptedZip())).Action);

        var rightRecipient = new FilterException { Sender = ".partner.example", Recipient = "bob@example.net", ApprovedBy = "ciso", Reason = "x" };
        Assert.Equal(VerdictAction.Accept, (await DecideAsync(new FilterOptions { Exceptions = [rightRecipient] }, WithEncryptedZip())).Action);
    }

    [Fact]
    public async Task AForgedSenderWithThreeAttachmentsGetsThemReplacedByAList()
    {
        var message = TestMessages.Multipart("ceo@example.net",
            TestMessages.Attachment("report.pdf", TestMessages.Pdf(""), "application/pdf"),
            TestMessages.Attachment("photo.jpg", new byte[3000], "image/jpeg"),
            new TestMessages.Part("application/octet-stream", "attachment; filename*=UTF-8''" + Uri.EscapeDataString("見積書.xlsx"), new byte[1234]));
        var options = new FilterOptions { ForgedMarkerHeader = "X-Test-Forged" };
        var notForged = await DecideAsync(options, message);
        Assert.Equal(VerdictAction.Accept, notForged.Action);

        var marked = Encoding.UTF8.GetBytes("X-Test-Forged: yes\r\n" + Encoding.UTF8.GetString(message));
        var verdict = await DecideAsync(options, marked);
        Assert.Equal(VerdictAction.RemoveAttachments, verdict.Action);
        Assert.Equal(["report.pdf", "photo.jpg", "見積書.xlsx"], verdict.RemovedAttachments);
        Assert.Contains(verdict.HeaderEdits, e => e.Name == "X-Dmarc-Attachments-Removed" && e.Index is null);

        var rebuilt = await BoundedMimeParser.ParseAsync(new MemoryStream([.. Encoding.UTF8.GetBytes("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"), .. verdict.NewBody!]), MimeLimits.Default, Ct);
        var attachments = rebuilt.Descendants().Where(MimeEntityFacts.CountsAsAttachment).ToList();
        var list = Assert.IsType<TextPart>(Assert.Single(attachments));
        Assert.Equal("removed-attachments.txt", list.FileName);
        var text = list.Text;
        Assert.Contains("report.pdf", text);
        Assert.Contains("見積書.xlsx", text);
        Assert.Contains(rebuilt.Descendants(), e => e.ContentType.IsMimeType("text", "plain") && !MimeEntityFacts.CountsAsAttachment(e));
    }

    [Fact]
    public async Task ForgedByConfigurationAndASinglePartAttachmentRewritesTheContentType()
    {
        var message = Encoding.ASCII.GetBytes("From: x@forged.example\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n");
        var verdict = await DecideAsync(new FilterOptions { ForgedSenders = ["forged.example"] }, message, Envelope(sender: "x@forged.example"));
        Assert.Equal(VerdictAction.RemoveAttachments, verdict.Action);
        var contentType = Assert.Single(verdict.HeaderEdits, e => e.Name == "Content-Type");
        Assert.Equal(1u, contentType.Index);
        Assert.StartsWith("multipart/mixed", contentType.Value);
        Assert.Contains(verdict.HeaderEdits, e => e.Name == "Content-Transfer-Encoding" && e.Value is null && e.Index == 1);
    }

    [Fact]
    public async Task AMessagePaddedPastTheLimitsGetsTheEncryptedArchiveActionAndExceptionsStillApply()
    {
        var engine = new FilterEngine(() => new FilterOptions(), new FixedTime(Now), NullLogger<FilterEngine>.Instance);
        var verdict = await engine.DecideAsync(Envelope(), [], new MemoryStream(WithEncryptedZip()), MessageCompleteness.Truncated, Ct);
        Assert.Equal(VerdictAction.Reject, verdict.Action);
        Assert.StartsWith("archive could not be fully inspected: larger than the filter's limits", verdict.Reason);

        var excepted = new FilterEngine(() => new FilterOptions
        {
            Exceptions = [new FilterException { Sender = "partner.example", ApprovedBy = "it", Reason = "large files" }],
        }, new FixedTime(Now), NullLogger<FilterEngine>.Instance);
        var allowed = await excepted.DecideAsync(Envelope(), [], new MemoryStream(WithEncryptedZip()), MessageCompleteness.Truncated, Ct);
        Assert.Equal(VerdictAction.Accept, allowed.Action);
        Assert.NotNull(allowed.ExceptionUsed);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
