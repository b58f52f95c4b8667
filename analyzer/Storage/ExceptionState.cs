namespace DmarcAnalyzer.Storage;

/// <summary>Where an encrypted-archive exception request stands.</summary>
internal enum ExceptionState
{
    Requested,
    Approved,
    Rejected,
}
