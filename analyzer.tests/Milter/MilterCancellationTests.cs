using DmarcAnalyzer.Milter;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>
/// The checks of a message run beside a pending read. They are cancelled as soon as the MTA gives up on it: an abort,
/// a quit, a closed socket, or the message's own deadline; the connection stays in step (no verdict is written for a
/// message the MTA abandoned). A verdict is written whenever it comes, the MTA sending nothing meanwhile.
/// </summary>
public sealed class MilterCancellationTests
{
    private const uint AllActions = 0x1FF;
    private const uint NoReplyFlags = 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x80;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData('A')]
    [InlineData('K')]
    public async Task AnAbortDuringTheChecksCancelsThemAndTheNextMessageGetsItsOwnReply(char abort)
    {
        await using var fixture = new MilterServerFixture();
        var started = HoldChecks(fixture);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await SendMessageAsync(client, "<first@example.org>");
        await started.Task;

        fixture.Handler.Checks = null;
        await client.SendAsync(abort, [], Ct);
        await SendMessageAsync(client, "<second@example.org>");
        Assert.Equal('a', await client.ReadCommandAsync(Ct));

        var tokens = fixture.Handler.Tokens.ToArray();
        Assert.Equal(2, tokens.Length);
        Assert.True(tokens[0].IsCancellationRequested);
        Assert.False(tokens[1].IsCancellationRequested);
        Assert.Equal("<second@example.org>", Assert.Single(fixture.Handler.Messages).Envelope.Sender);
    }

    [Theory]
    [InlineData("quit")]
    [InlineData("socket closed")]
    [InlineData("command out of order")]
    public async Task AConnectionEndingDuringTheChecksCancelsThem(string how)
    {
        await using var fixture = new MilterServerFixture();
        var started = HoldChecks(fixture);
        var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await SendMessageAsync(client, "<a@example.org>");
        await started.Task;

        switch (how)
        {
            case "quit":
                await client.SendAsync('Q', [], Ct);
                Assert.True(await client.IsClosedAsync(Ct));
                break;
            case "socket closed":
                break;
            case "command out of order":
                await client.SendStringsAsync('M', Ct, "<next@example.org>");
                Assert.True(await client.IsClosedAsync(Ct));
                break;
        }
        await client.DisposeAsync();
        await MilterServerFixture.WaitUntilAsync(() => fixture.Server.Connections.Count == 0, Ct);
        Assert.True(Assert.Single(fixture.Handler.Tokens).IsCancellationRequested);
        if (how == "command out of order")
            Assert.Contains(fixture.Log.Entries, e => e.Message.Contains("before the reply to end of message", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChecksPastTheMessageDeadlineAreCancelledWithTheConnection()
    {
        var clock = new MilterClock();
        await using var fixture = new MilterServerFixture(new MilterOptions { MessageTimeout = TimeSpan.FromMinutes(1) }, clock);
        var started = HoldChecks(fixture);
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await SendMessageAsync(client, "<a@example.org>");
        await started.Task;
        // The checks start while the server handles the read's packets; the message's clock is set after them.
        var connection = Assert.Single(fixture.Server.Connections);
        await MilterServerFixture.WaitUntilAsync(() => connection.InMessage, Ct);

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await client.IsClosedAsync(Ct));
        await MilterServerFixture.WaitUntilAsync(() => fixture.Server.Connections.Count == 0, Ct);
        Assert.True(Assert.Single(fixture.Handler.Tokens).IsCancellationRequested);
    }

    /// <summary>
    /// The verdict comes after the server looked for a finished one and before it reads again (at its clock reading
    /// between the two). The MTA sends nothing until it has the reply, so that read must not wait for the MTA alone:
    /// it did, and the message hung until its deadline (seen under heavy CPU load with a spooled message).
    /// </summary>
    [Fact(Timeout = 120_000)]
    public async Task AVerdictThatComesJustBeforeTheServerReadsAgainIsWritten()
    {
        var clock = new MilterClock();
        await using var fixture = new MilterServerFixture(time: clock);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Handler.Checks = _ =>
        {
            // Continuations run inline: the verdict is made on the server's own thread, at its next clock reading.
            var verdict = new TaskCompletionSource();
            clock.OnNextReading(verdict.SetResult);
            started.SetResult();
            return verdict.Task;
        };
        await using var client = await fixture.ConnectAsync(Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await SendMessageAsync(client, "<a@example.org>");
        await started.Task;

        Assert.Equal('a', await client.ReadCommandAsync(Ct));
        Assert.False(Assert.Single(fixture.Handler.Tokens).IsCancellationRequested);
        Assert.Equal("<a@example.org>", Assert.Single(fixture.Handler.Messages).Envelope.Sender);
    }

    /// <summary>Makes the handler's checks wait until cancelled; the task completes when a message's checks begin.</summary>
    private static TaskCompletionSource HoldChecks(MilterServerFixture fixture)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Handler.Checks = async ct =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        };
        return started;
    }

    private static async Task SendMessageAsync(MilterTestClient client, string sender)
    {
        await client.SendStringsAsync('M', Ct, sender);
        await client.SendStringsAsync('R', Ct, "<b@example.net>");
        await client.SendStringsAsync('L', Ct, "Subject", " hi");
        await client.SendAsync('N', [], Ct);
        await client.SendAsync('E', "body\r\n"u8.ToArray(), Ct);
    }
}
