using System.Text;
using DmarcAnalyzer.Mail;
using MimeKit;

namespace DmarcAnalyzer.Tests.Mail;

/// <summary>Builds messages for tests: text written with '\n', sent with CRLF unless a test wants bare LF.</summary>
internal static class MimeText
{
    public static byte[] Bytes(string text, bool crlf = true) =>
        Encoding.UTF8.GetBytes(crlf ? text.ReplaceLineEndings("\r\n") : text.ReplaceLineEndings("\n"));

    public static Task<TestEntity> ParseAsync(string text, bool crlf = true, MimeLimits? limits = null) =>
        ParseAsync(Bytes(text, crlf), limits);

    public static async Task<TestEntity> ParseAsync(byte[] bytes, MimeLimits? limits = null) =>
        TestEntity.Of(await BoundedMimeParser.ParseAsync(new MemoryStream(bytes), limits ?? MimeLimits.Default, TestContext.Current.CancellationToken));

    public static byte[] Decoded(TestEntity entity) => entity.DecodedContent;

    public static string DecodedAscii(TestEntity entity) => Encoding.ASCII.GetString(entity.DecodedContent);
}

/// <summary>A MimeKit entity seen through what the tests assert: the terms of <see cref="MimeEntityFacts"/>.</summary>
internal sealed class TestEntity(ParsedMessage parsed, MimeEntity entity, HeaderList headers)
{
    public static TestEntity Of(ParsedMessage parsed) => new(parsed, parsed.Message.Body ?? new TextPart(), parsed.Message.Headers);

    public ParsedMessage Parsed => parsed;

    public MimeEntity Entity => entity;

    public HeaderList Headers => headers;

    public ContentType ContentType => entity.ContentType;

    public string MimeType => MimeEntityFacts.MimeTypeOf(entity);

    public string? FileName => MimeEntityFacts.FileNameOf(entity);

    public string? Disposition => entity.ContentDisposition?.Disposition.ToLowerInvariant();

    public string? TransferEncoding => headers["Content-Transfer-Encoding"]?.Trim().ToLowerInvariant();

    public bool IsMultipart => entity is Multipart;

    public bool IsAttachment => MimeEntityFacts.CountsAsAttachment(entity);

    public IReadOnlyList<TestEntity> Children =>
        entity is Multipart multipart ? [.. multipart.Select(c => new TestEntity(parsed, c, c.Headers))] : [];

    public TestEntity? EmbeddedMessage =>
        parsed.EmbeddedMessage(entity) is { Body: { } body } inner ? new TestEntity(parsed, body, inner.Headers) : null;

    public byte[] DecodedContent => MimeEntityFacts.DecodedContent(entity, TestContext.Current.CancellationToken);

    public long DecodedLength => DecodedContent.LongLength;

    public string Text => entity is TextPart text ? text.Text : Encoding.UTF8.GetString(DecodedContent);

    public IEnumerable<TestEntity> Descendants()
    {
        yield return this;
        foreach (var child in Children)
            foreach (var d in child.Descendants())
                yield return d;
        if (EmbeddedMessage is { } inner)
            foreach (var d in inner.Descendants())
                yield return d;
    }
}
