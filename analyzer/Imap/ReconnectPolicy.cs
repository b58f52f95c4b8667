namespace DmarcAnalyzer.Imap;

/// <summary>
/// How a mailbox that failed is tried again: after <see cref="FirstDelay"/>, doubling up to <see cref="MaxDelay"/>.
/// A single pass (<c>--once</c>) gives up after <see cref="OnceAttempts"/> dropped connections; the loop modes never do.
/// </summary>
internal sealed record ReconnectPolicy(TimeSpan FirstDelay, TimeSpan MaxDelay, int OnceAttempts)
{
    public static ReconnectPolicy Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), 6);
}
