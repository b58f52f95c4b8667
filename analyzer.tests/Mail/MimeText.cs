using System.Text;
using DmarcAnalyzer.Mail;

namespace DmarcAnalyzer.Tests.Mail;

/// <summary>Builds messages for tests: text written with '\n', sent with CRLF unless a test wants bare LF.</summary>
internal static class MimeText
{
    public static byte[] Bytes(string text, bool crlf = true) =>
        Encoding.UTF8.GetBytes(crlf ? text.ReplaceLineEndings("\r\n") : text.ReplaceLineEndings("\n"));

    public static Task<MimeEntity> ParseAsync(string text, bool crlf = true, MimeLimits? limits = null) =>
        ParseAsync(Bytes(text, crlf), limits);

    public static Task<MimeEntity> ParseAsync(byte[] bytes, MimeLimits? limits = null) =>
        MimeParser.ParseAsync(new MemoryStream(bytes), limits ?? MimeLimits.Default, TestContext.Current.CancellationToken);

    public static byte[] Decoded(MimeEntity entity) => entity.DecodedContent.ToArray();

    public static string DecodedAscii(MimeEntity entity) => Encoding.ASCII.GetString(entity.DecodedContent.Span);
}
