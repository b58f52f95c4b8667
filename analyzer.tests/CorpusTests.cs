namespace DmarcAnalyzer.Tests;

public class CorpusTests
{
    [Fact]
    public void CorpusIsPresentWhereTheTestsLookForIt()
    {
        var manifest = Corpus.Require("MANIFEST.md");
        Assert.True(new FileInfo(manifest).Length > 0);
    }
}
