using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Milter;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace DmarcAnalyzer.Tests.Mail;

/// <summary>The outbox against the real Postfix the milter tests start: submission with SMTP AUTH on loopback.</summary>
public sealed class OutboxPostfixTests(PostfixFixture postfix) : IClassFixture<PostfixFixture>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("outbox-");

    private SmtpSettings Settings(int port)
    {
        var passwordFile = Path.Combine(_folder.FullName, "password");
        File.WriteAllText(passwordFile, PostfixFixture.Password + "\n");
        return new SmtpSettings("127.0.0.1", port, SmtpTls.None, "DMARC reports <dmarc@example.org>", PostfixFixture.User, passwordFile);
    }

    private static MimeMessage Mail(string marker)
    {
        var message = new MimeMessage();
        message.To.Add(MailboxAddress.Parse("postmaster@example.net"));
        message.Subject = "digest " + marker;
        message.Body = new TextPart("plain") { Text = "Weekly digest " + marker };
        return message;
    }

    [Fact]
    public async Task AMailIsDeliveredThroughTheRelayAndLeavesTheSpool()
    {
        await using var store = await Store.OpenAsync(Path.Combine(_folder.FullName, "dmarc.db"), Ct);
        var outbox = new Outbox(store.Outbox, Settings(postfix.SubmissionPort), TimeProvider.System, NullLogger<Outbox>.Instance);
        var marker = Guid.NewGuid().ToString("N");
        await outbox.EnqueueAsync(Mail(marker), Ct);

        Assert.Equal(new OutboxFlush(1, 0), await outbox.FlushAsync(Ct));
        var delivered = await postfix.WaitForDeliveryAsync(marker, Ct);
        Assert.Contains("From: DMARC reports <dmarc@example.org>", delivered);
        Assert.Contains("Weekly digest " + marker, delivered);
        Assert.Equal(0, await store.Outbox.CountAsync(Ct));
    }

    [Fact]
    public async Task MailWaitsInTheSpoolWhileTheRelayIsDownAndGoesWhenItIsBack()
    {
        await using var store = await Store.OpenAsync(Path.Combine(_folder.FullName, "dmarc.db"), Ct);
        var clock = new SteppedClock(DateTimeOffset.UtcNow);
        var down = new Outbox(store.Outbox, Settings(ClosedPort()), clock, NullLogger<Outbox>.Instance);
        var marker = Guid.NewGuid().ToString("N");
        await down.EnqueueAsync(Mail(marker), Ct);

        Assert.Equal(new OutboxFlush(0, 1), await down.FlushAsync(Ct));
        Assert.Equal(1, await store.Outbox.CountAsync(Ct));
        // Not due again before its backoff has passed.
        var up = new Outbox(store.Outbox, Settings(postfix.SubmissionPort), clock, NullLogger<Outbox>.Instance);
        Assert.Equal(new OutboxFlush(0, 0), await up.FlushAsync(Ct));

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(new OutboxFlush(1, 0), await up.FlushAsync(Ct));
        Assert.Contains("Weekly digest " + marker, await postfix.WaitForDeliveryAsync(marker, Ct));
        Assert.Equal(0, await store.Outbox.CountAsync(Ct));
    }

    [Fact]
    public void PlainTextIsRefusedForARelayThatIsNotLoopback() =>
        Assert.Throws<InvalidOperationException>(() => new SmtpSettings("relay.example.net", 25, SmtpTls.None, "a@example.org").Validate());

    /// <summary>A loopback port nothing listens on: the relay is down.</summary>
    private static int ClosedPort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
            System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private sealed class SteppedClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }
}
