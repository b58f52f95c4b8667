using System.Diagnostics;
using System.Text;
using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

/// <summary>
/// Compares our reading of real messages, and of what the stripper writes, with an independent MIME parser:
/// Python's standard <c>email</c> package (Debian python3). Each entity is one line: type, file name, decoded
/// size of non-text leaves (Python normalises line breaks in text, so text sizes differ by design).
/// </summary>
public class PythonCrossCheckTests
{
    private const string WalkScript = """
        import sys, email, email.policy

        def walk(part):
            yield part
            ct = part.get_content_type()
            if part.is_multipart() and (ct.startswith('multipart/') or ct in ('message/rfc822', 'message/global')):
                for sub in part.get_payload():
                    yield from walk(sub)

        sys.stdout.reconfigure(encoding='utf-8')
        for path in sys.argv[1:]:
            with open(path, 'rb') as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            for part in walk(msg):
                ct = part.get_content_type()
                leaf = part.get_content_maintype() not in ('multipart', 'message', 'text')
                size = len(part.get_payload(decode=True) or b'') if leaf else '-'
                print(ct, part.get_filename() or '', size, sep='\t')
            print('==')
        """;

    [Fact]
    public async Task CorpusMessagesReadAsPythonReadsThem()
    {
        var files = CorpusMessages();
        var ours = new List<string>();
        foreach (var file in files)
            ours.AddRange(Describe(await ParseAsync(await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken))));
        Assert.Equal(await RunPythonAsync(files), ours);
    }

    [Fact]
    public async Task TrickyMessagesReadAsPythonReadsThem()
    {
        var folder = Directory.CreateTempSubdirectory("mail-crosscheck-");
        try
        {
            var files = new List<string>();
            var ours = new List<string>();
            foreach (var text in TrickyMessages)
            {
                var bytes = MimeText.Bytes(text);
                var path = Path.Combine(folder.FullName, $"{files.Count}.eml");
                await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);
                files.Add(path);
                ours.AddRange(Describe(await ParseAsync(bytes)));
            }
            Assert.Equal(await RunPythonAsync(files), ours);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static readonly string[] TrickyMessages =
    [
        // Missing close delimiter, delimiter with transport padding, look-alike boundary. (MimeKit keeps the line
        // break that ends an unterminated last part, Python drops it: the last part ends without one. MimeKit also
        // drops an unpadded final base64 group that Python decodes: the PNG's base64 is padded.)
        "Content-Type: multipart/mixed; boundary=b\n\npreamble\n--b \t\nContent-Type: image/png; name=a.png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b\n\ntext\n--bb\n--b\nContent-Type: application/zip\n\nPK",
        // Nested multiparts with digest defaults and an embedded message.
        "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\nContent-Type: application/pdf; name=\"one.pdf\"\n\n%PDF\n--d--\n--o\nContent-Type: message/rfc822\n\nSubject: two\nContent-Type: multipart/alternative; boundary=a\n\n--a\n\nplain\n--a\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: quoted-printable\n\n=00=01=\n=02\n--a--\n--o--\n",
        // RFC 2231 continuations with a charset, RFC 2047 in a quoted name, base64 (the PDF's and the zip's are
        // padded: MimeKit drops an unpadded final group, see above).
        "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*0*=utf-8''%E5%A0%B1; filename*1*=%E5%91%8A.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--x\nContent-Type: application/zip; name=\"=?ISO-2022-JP?B?GyRCRTpJVSVVJSElJCVrGyhCLnppcA==?=\"\nContent-Transfer-Encoding: base64\n\nUEsDBA==\n--x--\n",
    ];

    [Fact]
    public async Task StrippedMessagesReadAsPythonReadsThem()
    {
        var folder = Directory.CreateTempSubdirectory("mail-crosscheck-");
        try
        {
            var files = new List<string>();
            var ours = new List<string>();
            var sources = CorpusMessages().Select(f => File.ReadAllBytes(f)).Append(MimeText.Bytes(JapaneseMessage));
            foreach (var source in sources)
            {
                var message = await ParseAsync(source);
                var rewritten = AttachmentStripperTests.Reassemble(message, AttachmentStripperTests.Strip(message));
                var path = Path.Combine(folder.FullName, $"{files.Count}.eml");
                await File.WriteAllBytesAsync(path, rewritten, TestContext.Current.CancellationToken);
                files.Add(path);
                ours.AddRange(Describe(await ParseAsync(rewritten)));
            }
            var python = await RunPythonAsync(files);
            Assert.Equal(python, ours);
            Assert.Contains("text/plain\tremoved-attachments.txt\t-", python);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private const string JapaneseMessage = """
        From: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= <jp@example.jp>
        Content-Type: multipart/mixed; boundary=m

        --m
        Content-Type: text/plain; charset=ISO-2022-JP

        body
        --m
        Content-Type: application/pdf
        Content-Disposition: attachment; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf

        x
        --m
        Content-Type: application/zip
        Content-Disposition: attachment; filename*0*=ISO-2022-JP''%1B%24BE%3AIU%25U%25%21%25%24%25k%1B%28B; filename*1=.zip

        y
        --m--
        """;

    private static string[] CorpusMessages() =>
        [.. Directory.GetFiles(Corpus.Require("aggregate"), "*.eml"), .. Directory.GetFiles(Corpus.Require("forensic"), "*.eml")];

    private static Task<TestEntity> ParseAsync(byte[] bytes) => MimeText.ParseAsync(bytes);

    private static IEnumerable<string> Describe(TestEntity message)
    {
        foreach (var entity in message.Descendants())
        {
            var type = entity.MimeType;
            var leaf = entity.ContentType.MediaType.ToLowerInvariant() is not ("multipart" or "message" or "text");
            yield return $"{type}\t{entity.FileName ?? ""}\t{(leaf ? entity.DecodedLength.ToString() : "-")}";
        }
        yield return "==";
    }

    private static async Task<List<string>> RunPythonAsync(IEnumerable<string> files)
    {
        var script = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(script, WalkScript, TestContext.Current.CancellationToken);
            var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
            start.ArgumentList.Add(script);
            foreach (var file in files)
                start.ArgumentList.Add(file);
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Assert.Fail($"python3 is needed for this cross-check (Debian package python3): {e.Message}");
                throw;
            }
            using (process)
            {
                var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
                var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
                await process.WaitForExitAsync(TestContext.Current.CancellationToken);
                Assert.True(process.ExitCode == 0, "python3 failed: " + await errors);
                return [.. (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
            }
        }
        finally
        {
            File.Delete(script);
        }
    }
}
