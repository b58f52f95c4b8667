using System.IO.Pipelines;
using System.Text;
using DmarcAnalyzer.Imap;

namespace DmarcAnalyzer.Tests.Imap;

public class ImapResponseReaderTests
{
    private static readonly ImapLimits Small = new() { MaxLineBytes = 1024, MaxResponseLineBytes = 4096, MaxLiteralBytes = 4 * 1024 * 1024, MaxTokens = 100, MaxListDepth = 4 };

    private static async Task<ImapResponse> ParseAsync(string text, ImapLimits? limits = null) =>
        await ParseAsync(Encoding.UTF8.GetBytes(text), limits);

    private static async Task<ImapResponse> ParseAsync(byte[] bytes, ImapLimits? limits = null)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        await pipe.Writer.WriteAsync(bytes);
        await pipe.Writer.CompleteAsync();
        return await new ImapResponseReader(pipe.Reader, limits ?? Small).ReadAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ParsesATaggedStatusWithAResponseCode()
    {
        using var r = await ParseAsync("A0001 OK [READ-WRITE] SELECT completed\r\n");
        Assert.Equal(ImapResponseKind.Tagged, r.Kind);
        Assert.Equal("A0001", r.Tag);
        Assert.Equal(ImapStatus.Ok, r.Status);
        Assert.Equal("READ-WRITE", r.Code);
        Assert.Equal("SELECT completed", r.Text);
    }

    [Fact]
    public async Task ParsesCodeArgumentsAndContinuations()
    {
        using var ok = await ParseAsync("* OK [UIDVALIDITY 3857529045] UIDs valid\r\n");
        Assert.Equal(("UIDVALIDITY", "3857529045"), (ok.Code, ok.CodeArguments));
        using var plus = await ParseAsync("+ idling\r\n");
        Assert.Equal(ImapResponseKind.Continuation, plus.Kind);
        Assert.Equal("idling", plus.Text);
        using var bare = await ParseAsync("+\r\n");
        Assert.Equal(ImapResponseKind.Continuation, bare.Kind);
    }

    [Fact]
    public async Task ParsesNestedListsQuotedStringsAndNil()
    {
        using var r = await ParseAsync("* LIST (\\HasNoChildren \\Marked) \"/\" \"say \\\"hi\\\" \\\\ there\"\r\n");
        Assert.Equal("LIST", r.Name);
        var attributes = Assert.IsType<ImapList>(r.Data[0]);
        Assert.Equal([@"\HasNoChildren", @"\Marked"], attributes.Items.Select(t => t.Text));
        Assert.Equal("/", r.Data[1].Text);
        Assert.Equal("say \"hi\" \\ there", r.Data[2].Text);

        using var nested = await ParseAsync("* 7 FETCH (FLAGS (\\Seen (a (b))) X NIL)\r\n");
        Assert.Equal(7, nested.Number);
        var items = Assert.IsType<ImapList>(Assert.Single(nested.Data)).Items;
        Assert.Equal("FLAGS", items[0].Text);
        Assert.IsType<ImapList>(Assert.IsType<ImapList>(items[1]).Items[1]);
        Assert.IsType<ImapNil>(items[3]);
    }

    [Fact]
    public async Task StreamsLiteralsAndContinuesTheLineAfterThem()
    {
        using var r = await ParseAsync("* 1 FETCH (UID 42 BODY[] {12}\r\nHello\r\nWorld FLAGS (\\Seen))\r\n");
        var items = Assert.IsType<ImapList>(Assert.Single(r.Data)).Items;
        Assert.Equal(["UID", "42", "BODY[]"], items.Take(3).Select(t => t.Text));
        var literal = Assert.IsType<ImapLiteral>(items[3]);
        Assert.Equal("Hello\r\nWorld", Encoding.ASCII.GetString(literal.Content.ToArray()));
        Assert.Equal("FLAGS", items[4].Text);
    }

    [Fact]
    public async Task AcceptsNonSynchronizingLiteralsAndSectionsWithSpaces()
    {
        using var r = await ParseAsync("* 2 FETCH (BODY[HEADER.FIELDS (DATE FROM)] {3+}\r\nabc)\r\n");
        var items = Assert.IsType<ImapList>(Assert.Single(r.Data)).Items;
        Assert.Equal("BODY[HEADER.FIELDS (DATE FROM)]", items[0].Text);
        Assert.Equal("abc", items[1].Text);
    }

    [Fact]
    public async Task KeepsALargeLiteralOnDiskAndReadsItBack()
    {
        var body = new byte[3 * LiteralBuffer.InMemoryBytes + 17];
        new Random(5).NextBytes(body);
        var head = Encoding.ASCII.GetBytes($"* 1 FETCH (UID 9 BODY[] {{{body.Length}}}\r\n");
        using var r = await ParseAsync([.. head, .. body, .. ")\r\n"u8.ToArray()]);
        var literal = Assert.IsType<ImapLiteral>(Assert.IsType<ImapList>(r.Data[0]).Items[3]);
        Assert.Equal(body.Length, literal.Content.Length);
        Assert.Null(literal.Text);
        using var read = literal.Content.OpenRead();
        var copy = new MemoryStream();
        await read.CopyToAsync(copy, TestContext.Current.CancellationToken);
        Assert.Equal(body, copy.ToArray());
    }

    [Fact]
    public async Task RefusesAHugeLiteralBeforeReadingIt()
    {
        var e = await Assert.ThrowsAsync<ImapProtocolException>(() => ParseAsync("* 1 FETCH (BODY[] {999999999999}\r\n"));
        Assert.Contains("literal of 999999999999 bytes", e.Message);
    }

    [Fact]
    public async Task RefusesALineWithoutEnd()
    {
        var e = await Assert.ThrowsAsync<ImapProtocolException>(() => ParseAsync("* OK " + new string('x', 5000)));
        Assert.Contains("longer than 1024", e.Message);
    }

    [Fact]
    public async Task RefusesTooManyLinesJoinedByLiterals()
    {
        var text = "* X " + string.Concat(Enumerable.Repeat("{1}\r\nx " + new string('y', 900) + " ", 10)) + "\r\n";
        await Assert.ThrowsAsync<ImapProtocolException>(() => ParseAsync(text));
    }

    [Theory]
    [InlineData("garbage\r\n")]
    [InlineData("\r\n")]
    [InlineData("* 1 FETCH (UID 1\r\n")]
    [InlineData("* X ((((((1))))))\r\n")]
    [InlineData("* LIST () \"/\" \"unterminated\r\n")]
    [InlineData("* X )\r\n")]
    [InlineData("A1 PREAUTH hi\r\n")]
    [InlineData("A1 FETCH x\r\n")]
    [InlineData("* OK [CAPABILITY IMAP4rev1 text\r\n")]
    [InlineData("* X {12x}\r\n")]
    [InlineData("* X {5} trailing\r\n")]
    [InlineData("* X a\rb\r\n")]
    public async Task RefusesMalformedResponses(string text) =>
        await Assert.ThrowsAsync<ImapProtocolException>(() => ParseAsync(text));

    [Fact]
    public async Task RefusesTooManyTokens() =>
        await Assert.ThrowsAsync<ImapProtocolException>(() => ParseAsync("* SEARCH " + string.Join(' ', Enumerable.Range(1, 200)) + "\r\n"));

    [Theory]
    [InlineData("* OK partial")]
    [InlineData("* 1 FETCH (BODY[] {100}\r\nshort")]
    public async Task ReportsAConnectionClosedMidResponse(string text) =>
        await Assert.ThrowsAsync<ImapConnectionException>(() => ParseAsync(text));
}
