using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Cli;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>The <c>dmarc milter</c> daemon as a process: a verdict over the wire, SIGHUP reload, SIGTERM exit.</summary>
public sealed class MilterCommandTests : IDisposable
{
    private const uint AllActions = 0x1FF;
    private const uint NoReplyFlags = 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000 | 0x80000 | 0x80;
    private readonly string _folder = Directory.CreateTempSubdirectory("milter-cli").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RejectsThenAfterSIGHUPAppliesANewExceptionAndRereadsTheZoneFilesAndStopsCleanlyOnSIGTERM()
    {
        var config = Path.Combine(_folder, "dmarc.json");
        var zone = Path.Combine(_folder, "partners.zone");
        await File.WriteAllTextAsync(zone, "partner.example. 3600 IN TXT \"v=spf1 -all\"\n", Ct);
        await File.WriteAllTextAsync(config, $$"""{ "Filter": { "Exceptions": [] }, "Dns": { "Offline": true, "Zones": [ "{{zone}}" ] } }""", Ct);
        var port = FreePort();
        using var process = Process.Start(DmarcProcess.StartInfo(_folder, "milter", "--listen", $"inet:127.0.0.1:{port}", "--config", config, "--db", "v.db"))!;
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        try
        {
            await WaitForPortAsync(port);
            Assert.Equal('y', await SendEncryptedZipAsync(port));

            await File.WriteAllTextAsync(config, $$"""
                { "Filter": { "Exceptions": [ { "Sender": "partner.example", "ApprovedBy": "ciso", "Reason": "test" } ] }, "Dns": { "Offline": true, "Zones": [ "{{zone}}" ] } }
                """, Ct);
            await SignalAsync(process.Id, "HUP");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            char reply;
            while ((reply = await SendEncryptedZipAsync(port)) != 'a' && DateTime.UtcNow < deadline)
                await Task.Delay(100, Ct);
            if (reply != 'a')
            {
                process.Kill();
                Assert.Fail($"still '{reply}' 30 s after SIGHUP; the milter printed:\n{await stderr}");
            }

            await SignalAsync(process.Id, "TERM");
            await process.WaitForExitAsync(Ct);
            var log = await stderr;
            Assert.True(process.ExitCode == 0, log);
            Assert.Contains("zone files reloaded: " + zone, log);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }

        await using var db = await Database.OpenAsync(Path.Combine(_folder, "v.db"), Ct);
        await using var query = db.CreateCommand();
        query.CommandText = "SELECT group_concat(action, ',') FROM (SELECT action FROM verdicts ORDER BY id)";
        var actions = (string)(await query.ExecuteScalarAsync(Ct))!;
        Assert.StartsWith("reject,", actions);
        Assert.EndsWith(",accept", actions);
    }

    [Fact]
    public async Task APortAlreadyInUseExits1WithTheReason()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        var config = Path.Combine(_folder, "dmarc.json");
        await File.WriteAllTextAsync(config, """{ "Dns": { "Offline": true } }""", Ct);
        using var process = Process.Start(DmarcProcess.StartInfo(_folder, "milter", "--listen", $"inet:127.0.0.1:{port}", "--config", config, "--db", "v.db"))!;
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
        var errors = await stderr;
        Assert.True(process.ExitCode == 1, errors);
        Assert.Contains($"cannot listen on inet:127.0.0.1:{port}", errors);
    }

    internal static async Task<char> SendEncryptedZipAsync(int port)
    {
        var message = TestMessages.Multipart("a@partner.example", TestMessages.Attachment("x.zip", TestMessages.EncryptedZip("x.doc")));
        var text = System.Text.Encoding.ASCII.GetString(message);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        await using var client = await MilterTestClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Ct);
        await client.NegotiateAsync(6, AllActions, NoReplyFlags, Ct);
        await client.SendStringsAsync('M', Ct, "<a@partner.example>");
        await client.SendStringsAsync('R', Ct, "<b@example.net>");
        foreach (var (name, value) in TestMessages.Headers(message))
            await client.SendStringsAsync('L', Ct, name, value);
        await client.SendAsync('N', [], Ct);
        await client.SendAsync('B', System.Text.Encoding.ASCII.GetBytes(text[(split + 4)..]), Ct);
        await client.SendAsync('E', [], Ct);
        // Header changes (the Authentication-Results field) come before the final reply.
        char reply;
        do
            reply = await client.ReadCommandAsync(Ct);
        while (reply is 'h' or 'i' or 'm');
        return reply;
    }

    internal static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString()])!;
        await kill.WaitForExitAsync(Ct);
    }

    internal static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    internal static async Task WaitForPortAsync(int port)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, Ct);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100, Ct);
            }
        }
        throw new TimeoutException($"dmarc milter did not listen on {port}");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
