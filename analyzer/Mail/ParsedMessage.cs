using MimeKit;

namespace DmarcAnalyzer.Mail;

/// <summary>
/// A message read by <see cref="BoundedMimeParser"/>: MimeKit's tree, plus the messages that forwarding clients
/// base64- or quoted-printable-encode inside message/rfc822 parts.
/// </summary>
/// <remarks>
/// MimeKit keeps an encoded message/rfc822 part opaque (RFC 2046 §5.2.1 forbids the encoding), but an attachment
/// hidden in one must still meet the filter's rules and a report in one must still be found, so we parse those too.
/// </remarks>
internal sealed class ParsedMessage(MimeMessage message, IReadOnlyDictionary<MimeEntity, MimeMessage> decodedEmbedded)
{
    public MimeMessage Message { get; } = message;

    /// <summary>The message inside a message/rfc822 (or message/global) part, encoded or not; null for other entities.</summary>
    /// <remarks>MimeKit reads text/rfc822-headers as a message part too; it holds header fields only, no message.</remarks>
    public MimeMessage? EmbeddedMessage(MimeEntity entity) => entity switch
    {
        TextRfc822Headers => null,
        MessagePart part => part.Message,
        _ => decodedEmbedded.GetValueOrDefault(entity),
    };

    /// <summary>Depth first: the top-level entity, then children and embedded messages' entities, recursively.</summary>
    public IEnumerable<MimeEntity> Descendants() => Descendants(Message.Body);

    /// <summary>Depth first from <paramref name="root"/>, into multiparts and embedded messages.</summary>
    public IEnumerable<MimeEntity> Descendants(MimeEntity? root)
    {
        var stack = new Stack<MimeEntity>();
        if (root is not null)
            stack.Push(root);
        while (stack.Count > 0)
        {
            var entity = stack.Pop();
            yield return entity;
            if (EmbeddedMessage(entity)?.Body is { } body)
                stack.Push(body);
            if (entity is Multipart multipart)
                for (var i = multipart.Count - 1; i >= 0; i--)
                    stack.Push(multipart[i]);
        }
    }
}
