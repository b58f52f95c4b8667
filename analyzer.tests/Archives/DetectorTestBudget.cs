using DmarcAnalyzer.Archives;

namespace DmarcAnalyzer.Tests.Archives;

/// <summary>One attachment inspected as a message of its own: a fresh budget of <paramref name="budget"/> bytes, never cancelled.</summary>
internal static class DetectorTestBudget
{
    public static EncryptedFinding? Inspect(this EncryptedContentDetector detector, ReadOnlySpan<byte> content, string name, long budget = 1 << 24) =>
        detector.Inspect(content, name, new InspectionBudget(budget, CancellationToken.None));
}
