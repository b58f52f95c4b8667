using DmarcAnalyzer.Ingest;

namespace DmarcAnalyzer.Tests.Ingest;

public class PrefaultedArrayTests
{
    /// <summary>Below, across and well beyond 2 MB pages, at lengths that are no multiple of any page.</summary>
    [Theory]
    [InlineData(1 << 10)]
    [InlineData((1 << 20) + 1)]
    [InlineData((5 << 20) + 4097)]
    public void TheArrayHoldsWhatIsWrittenToIt(int length)
    {
        var array = PrefaultedArray.Allocate(length);
        Assert.Equal(length, array.Length);
        for (var i = 0; i < array.Length; i++)
            array[i] = (byte)(i * 31);
        for (var i = 0; i < array.Length; i++)
            Assert.Equal((byte)(i * 31), array[i]);
    }
}
