using DmarcAnalyzer.Ingest;
namespace DmarcAnalyzer.Cli;

/// <summary>Exit codes of the design's contract: scripts rely on them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Fatal = 1;
    public const int Usage = 2;
    public const int SomeInputsFailed = 3;

    /// <summary>The DNS could not be asked (timeout, SERVFAIL, no server): the answer is unknown, not negative.</summary>
    public const int DnsTrouble = 4;

    public static int Of(Ingest.IngestOutcome outcome) => outcome.Failed > 0 ? SomeInputsFailed : Ok;
}

/// <summary>Bad usage found after parsing (a missing file, conflicting options): exit 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
