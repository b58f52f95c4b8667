namespace DmarcAnalyzer.Imap;

/// <summary>A whole message fetched by UID; its bytes live in <see cref="Content"/> until disposed.</summary>
internal sealed class FetchedMessage(uint uid, LiteralBuffer content) : IDisposable
{
    public uint Uid { get; } = uid;
    public LiteralBuffer Content { get; } = content;

    public void Dispose() => Content.Dispose();
}
