namespace DmarcAnalyzer.Mail;

/// <summary>
/// Caps that keep <see cref="BoundedMimeParser"/> bounded on hostile input; breaking one throws
/// <see cref="MimeFormatException"/>. MimeKit itself is tolerant (it reads on where a cap would stop), so these
/// are checked around it, while it parses.
/// </summary>
/// <param name="MaxDepth">Nesting of multiparts and message/rfc822 parts below the top-level entity.</param>
/// <param name="MaxParts">Entities in the whole message, embedded messages included.</param>
/// <param name="MaxHeaderBytes">Header bytes of the whole message, all header blocks together: header fields are
/// what parsing turns into objects and strings, so this bounds what it allocates beyond the input.</param>
/// <param name="MaxMessageBytes">The whole input.</param>
/// <param name="MaxLineBytes">One header line; body lines are never materialised, so they are not counted.</param>
internal sealed record MimeLimits(
    int MaxDepth = 32,
    int MaxParts = 1000,
    int MaxHeaderBytes = 1 << 20,
    long MaxMessageBytes = 100L << 20,
    int MaxLineBytes = 1 << 20)
{
    public static MimeLimits Default { get; } = new();

    /// <summary>RFC 2046 §5.1.1 allows 70 characters; anything far longer is not a mailer's doing.</summary>
    public const int MaxBoundaryLength = 256;
}
