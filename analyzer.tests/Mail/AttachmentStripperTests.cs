using System.Text;
using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

public class AttachmentStripperTests
{
    /// <summary>The message as the milter would leave it: header changes applied, then the new body.</summary>
    internal static byte[] Reassemble(TestEntity original, StrippedMessage stripped)
    {
        if (stripped.Body is null)
        {
            using var unchanged = new MemoryStream();
            original.Parsed.Message.WriteTo(unchanged, TestContext.Current.CancellationToken);
            return unchanged.ToArray();
        }
        var fields = original.Parsed.Message.Headers.Concat(original.Parsed.Message.Body?.Headers ?? [])
            .Select(h => (Encoding.UTF8.GetString(h.RawField) + ":" + Encoding.UTF8.GetString(h.RawValue)).TrimEnd('\r', '\n')).ToList();
        foreach (var (name, value) in stripped.HeaderChanges)
        {
            fields.RemoveAll(f => f.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase));
            if (value is not null)
                fields.Add($"{name}: {value}");
        }
        return Encoding.UTF8.GetBytes(string.Join("\r\n", fields) + "\r\n\r\n").Concat(stripped.Body).ToArray();
    }

    internal static StrippedMessage Strip(TestEntity message, string listFileName = "removed-attachments.txt") =>
        AttachmentStripper.Strip(message.Parsed, listFileName, TestContext.Current.CancellationToken);

    private static async Task<(StrippedMessage Stripped, TestEntity Reparsed)> StripAsync(string text)
    {
        var message = await MimeText.ParseAsync(text);
        var stripped = Strip(message);
        return (stripped, await MimeText.ParseAsync(Reassemble(message, stripped)));
    }

    private static Task<string> ListTextAsync(TestEntity reparsed)
    {
        var list = Assert.Single(reparsed.Descendants(), d => d.FileName == "removed-attachments.txt");
        Assert.Equal("text/plain", list.MimeType);
        Assert.Equal("attachment", list.Disposition);
        return Task.FromResult(list.Text);
    }

    [Fact]
    public async Task ForgedSenderWithThreeAttachmentsKeepsTextAndListsEachFile()
    {
        var (stripped, reparsed) = await StripAsync("""
            From: ceo@example.com
            Subject: invoices
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="m"

            --m
            Content-Type: text/plain; charset=utf-8

            Please pay.
            --m
            Content-Type: application/zip; name="a.zip"
            Content-Disposition: attachment; filename="a.zip"
            Content-Transfer-Encoding: base64

            UEsDBA==
            --m
            Content-Type: application/pdf
            Content-Disposition: attachment; filename=b.pdf

            %PDF-1.4 raw
            --m
            Content-Type: application/octet-stream
            Content-Transfer-Encoding: base64

            AAECAwQF
            --m--
            """);

        Assert.Equal(
            [new RemovedAttachment("a.zip", "application/zip", 4), new RemovedAttachment("b.pdf", "application/pdf", 12),
             new RemovedAttachment("", "application/octet-stream", 6)],
            stripped.Removed);
        Assert.Empty(stripped.HeaderChanges);
        Assert.Equal("multipart/mixed", reparsed.MimeType);
        Assert.Equal(2, reparsed.Children.Count);
        Assert.Equal("Please pay.", MimeText.DecodedAscii(reparsed.Children[0]));
        var list = await ListTextAsync(reparsed);
        Assert.Contains("- a.zip (application/zip, 4 bytes)", list);
        Assert.Contains("- b.pdf (application/pdf, 12 bytes)", list);
        Assert.Contains("- (unnamed) (application/octet-stream, 6 bytes)", list);
    }

    [Fact]
    public async Task KeptPartsAreCopiedByteForByte()
    {
        const string text = "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\nline two";
        var message = await MimeText.ParseAsync(
            $"Content-Type: multipart/mixed; boundary=m\n\n--m\n{text}\n--m\nContent-Type: image/png\n\nPNG\n--m--\n");
        var stripped = Strip(message);
        Assert.Contains(text, Encoding.ASCII.GetString(stripped.Body!));
        Assert.DoesNotContain("PNG", Encoding.ASCII.GetString(stripped.Body!));
    }

    [Fact]
    public async Task SinglePartAttachmentMessageBecomesMultipartMixed()
    {
        var (stripped, reparsed) = await StripAsync("""
            From: noreply-dmarc-support@google.com
            Subject: Report domain: example.com
            MIME-Version: 1.0
            Content-Type: application/zip; name="google.com!example.com!1!2.zip"
            Content-Disposition: attachment; filename="google.com!example.com!1!2.zip"
            Content-Transfer-Encoding: base64

            UEsDBAoAAAAAAA==
            """);

        var removed = Assert.Single(stripped.Removed);
        Assert.Equal("google.com!example.com!1!2.zip", removed.FileName);
        Assert.Equal(10, removed.Size);
        Assert.Contains(stripped.HeaderChanges, c => c.Name == "Content-Type" && c.Value!.StartsWith("multipart/mixed; boundary="));
        Assert.Contains(("Content-Transfer-Encoding", (string?)null), stripped.HeaderChanges);
        Assert.Contains(("Content-Disposition", (string?)null), stripped.HeaderChanges);
        Assert.Equal("multipart/mixed", reparsed.MimeType);
        Assert.Null(reparsed.TransferEncoding);
        Assert.Contains("google.com!example.com!1!2.zip (application/zip, 10 bytes)", await ListTextAsync(reparsed));
        Assert.Single(reparsed.Children);
    }

    [Fact]
    public async Task PlainTextMessageIsUnchanged()
    {
        var message = await MimeText.ParseAsync("Subject: hi\n\nJust text.\n");
        var stripped = Strip(message);
        Assert.Empty(stripped.Removed);
        Assert.Empty(stripped.HeaderChanges);
        Assert.Null(stripped.Body);
    }

    [Fact]
    public async Task NestedMultipartsKeepTheirStructureAndAlternativeTextIsUntouched()
    {
        var (stripped, reparsed) = await StripAsync("""
            Content-Type: multipart/mixed; boundary=outer

            --outer
            Content-Type: multipart/related; boundary=rel

            --rel
            Content-Type: multipart/alternative; boundary=alt

            --alt
            Content-Type: text/plain
            Content-Disposition: inline

            plain
            --alt
            Content-Type: text/html

            <img src="cid:logo">
            --alt
            Content-Type: text/calendar; name=invite.ics

            BEGIN:VCALENDAR
            --alt--
            --rel
            Content-Type: image/png
            Content-ID: <logo>

            PNG
            --rel--
            --outer
            Content-Type: multipart/mixed; boundary=only-files

            --only-files
            Content-Type: application/zip; name=x.zip

            PK
            --only-files--
            --outer--
            """);

        Assert.Equal(["invite.ics", "", "x.zip"], stripped.Removed.Select(r => r.FileName));
        Assert.Equal(
            ["multipart/mixed", "multipart/related", "multipart/alternative", "text/plain", "text/html", "text/plain"],
            reparsed.Descendants().Select(d => d.MimeType));
        var alternative = reparsed.Children[0].Children[0];
        Assert.Equal("plain", MimeText.DecodedAscii(alternative.Children[0]));
        Assert.Equal("<img src=\"cid:logo\">", MimeText.DecodedAscii(alternative.Children[1]));
    }

    [Fact]
    public async Task NonMixedTopLevelIsWrappedWithTheListBesideIt()
    {
        var (stripped, reparsed) = await StripAsync("""
            Content-Type: multipart/related; boundary=rel
            Content-Transfer-Encoding: 7bit

            --rel
            Content-Type: text/html

            <img src="cid:a">
            --rel
            Content-Type: image/gif; name=a.gif

            GIF
            --rel--
            """);

        Assert.Equal("a.gif", Assert.Single(stripped.Removed).FileName);
        Assert.Equal("multipart/mixed", reparsed.MimeType);
        Assert.Equal(2, reparsed.Children.Count);
        var related = reparsed.Children[0];
        Assert.Equal("multipart/related", related.MimeType);
        Assert.Equal("7bit", related.TransferEncoding);
        Assert.Equal("text/html", Assert.Single(related.Children).MimeType);
        Assert.Equal("removed-attachments.txt", reparsed.Children[1].FileName);
    }

    [Fact]
    public async Task AttachedMessagesAreRemovedWhole()
    {
        var (stripped, reparsed) = await StripAsync("""
            Content-Type: multipart/mixed; boundary=m

            --m

            see forwarded
            --m
            Content-Type: message/rfc822

            Subject: inner
            Content-Type: application/pdf; name=inner.pdf

            PDF
            --m--
            """);
        Assert.Equal("message/rfc822", Assert.Single(stripped.Removed).MimeType);
        Assert.DoesNotContain(reparsed.Descendants(), d => d.EmbeddedMessage is not null);
    }

    [Fact]
    public async Task JapaneseFileNamesAreListedInUtf8()
    {
        var (stripped, reparsed) = await StripAsync("""
            Content-Type: multipart/mixed; boundary=m

            --m
            Content-Type: text/plain; charset=ISO-2022-JP
            Content-Transfer-Encoding: 7bit

            body
            --m
            Content-Type: application/pdf
            Content-Disposition: attachment; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf

            x
            --m
            Content-Type: application/zip; name="=?ISO-2022-JP?B?GyRCRTpJVSVVJSElJCVrGyhCLnppcA==?="
            Content-Disposition: attachment; filename="=?ISO-2022-JP?B?GyRCRTpJVSVVJSElJCVrGyhCLnppcA==?="

            y
            --m
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename*0*=shift_jis''%95%F1; filename*1*=%8D%90%8F%91.xls

            z
            --m--
            """);

        Assert.Equal(["報告書.pdf", "添付ファイル.zip", "報告書.xls"], stripped.Removed.Select(r => r.FileName));
        var list = await ListTextAsync(reparsed);
        Assert.Contains("- 報告書.pdf (application/pdf, 1 bytes)", list);
        Assert.Contains("- 添付ファイル.zip (application/zip, 1 bytes)", list);
        Assert.Contains("- 報告書.xls (application/octet-stream, 1 bytes)", list);
        Assert.Equal("utf-8", reparsed.Children[1].ContentType.Charset);
    }

    [Fact]
    public async Task NamesAreListedOnOneLineWithoutControlsOrDirectionOverrides()
    {
        var (_, reparsed) = await StripAsync("""
            Content-Type: multipart/mixed; boundary=m

            --m
            Content-Type: text/plain

            body
            --m
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEgpj.exe

            x
            --m
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename*=UTF-8''a%0D%0A- fake.pdf%1B%5B2J

            y
            --m--
            """);

        var list = await ListTextAsync(reparsed);
        Assert.Contains("- invoice\uFFFDgpj.exe (application/octet-stream, 1 bytes)", list);
        Assert.Contains("- a\uFFFD\uFFFD- fake.pdf\uFFFD[2J (application/octet-stream, 1 bytes)", list);
        Assert.DoesNotContain("\u202E", list, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001B", list, StringComparison.Ordinal);
        Assert.DoesNotContain("\n- fake.pdf", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonAsciiListFileNameIsEncodedPerRfc2231()
    {
        var message = await MimeText.ParseAsync("Content-Type: application/zip\n\nPK");
        var stripped = Strip(message, "削除された添付ファイル.txt");
        var reparsed = await MimeText.ParseAsync(Reassemble(message, stripped));
        Assert.Equal("削除された添付ファイル.txt", Assert.Single(reparsed.Children).FileName);
    }

    [Fact]
    public async Task MultipartWhosePartsCannotBeFoundIsRemoved()
    {
        var (stripped, reparsed) = await StripAsync("""
            Content-Type: multipart/mixed; boundary=m

            --m

            text
            --m
            Content-Type: multipart/mixed; boundary="not-there"

            --elsewhere
            Content-Type: application/zip; name=hidden.zip

            PK
            --elsewhere--
            --m--
            """);
        Assert.Equal("multipart/mixed", Assert.Single(stripped.Removed).MimeType);
        Assert.DoesNotContain("hidden.zip", Encoding.ASCII.GetString(stripped.Body!));
        Assert.Equal(2, reparsed.Children.Count);
    }

    [Fact]
    public async Task LfOnlyMessagesGetLfOnlyStructure()
    {
        var message = await MimeText.ParseAsync("Content-Type: multipart/mixed; boundary=m\n\n--m\n\ntext\n--m\nContent-Type: image/png\n\nPNG\n--m--\n", crlf: false);
        var stripped = Strip(message);
        Assert.DoesNotContain((byte)'\r', stripped.Body!);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EveryUntouchedPartIsWrittenByteForByte(bool crlf)
    {
        string[] kept =
        [
            "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\nX-Odd:   spacing\t kept\n\ncaf=E9 =\nsoft break\n\n",
            "Content-Type: text/html;\n charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\nPGI+aGk8L2I+\n",
            "Content-Type: multipart/alternative; boundary=\"alt\"\n\nalt preamble\n--alt\nContent-Type: text/plain\n\nplain\n--alt\nContent-Type: text/enriched\n\n<bold>x</bold>\n--alt--\nalt epilogue",
        ];
        var text = "Content-Type: multipart/mixed; boundary=m\n\npreamble\n--m\n" + kept[0] + "\n--m\n" + kept[1]
            + "\n--m\nContent-Type: application/zip; name=x.zip\nContent-Transfer-Encoding: base64\n\nUEsDBA==\n--m\n" + kept[2] + "\n--m--\nepilogue\n";
        var message = await MimeText.ParseAsync(text, crlf);
        var body = Encoding.UTF8.GetString(Strip(message).Body!);
        var newLine = crlf ? "\r\n" : "\n";
        foreach (var part in kept)
            Assert.Contains("--m" + newLine + part.ReplaceLineEndings(newLine) + newLine + "--m" + newLine, body);
        Assert.StartsWith("preamble" + newLine, body);
        Assert.EndsWith("--m--" + newLine + "epilogue" + newLine, body);
        Assert.DoesNotContain("UEsDBA", body);
    }
}
