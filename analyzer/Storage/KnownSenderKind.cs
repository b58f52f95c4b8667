namespace DmarcAnalyzer.Storage;

/// <summary>How a known sender kept in the store is recognised: by an address range, or by its reverse DNS name's domain.</summary>
internal enum KnownSenderKind
{
    Range,
    PtrDomain,
}
