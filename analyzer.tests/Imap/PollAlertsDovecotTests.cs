using System.Diagnostics;
using System.Globalization;
using System.Net;
using DmarcAnalyzer.Imap;
using DmarcAnalyzer.Tests.Analysis;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary><c>dmarc poll</c> in a loop mode evaluates the alert rules after each pass when alerts have somewhere to go.</summary>
public sealed class PollAlertsDovecotTests(DovecotServer dovecot) : IClassFixture<DovecotServer>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("dmarc-poll-alerts-");
    private readonly HttpListener _listener = new();

    [Fact]
    public async Task ThePollLoopSendsTheAlertsOfAPassToTheWebhook()
    {
        await using var store = await TestStore.CreateAsync();
        await store.AddReportAsync("example.com", DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1),
            [new("192.0.2.1", 500), new("203.0.113.9", 150, DkimEval: "fail", SpfEval: "fail")]);
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _listener.Prefixes.Add($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/hook/");
        }
        _listener.Start();
        var config = Path.Combine(_work.FullName, "dmarc.json");
        await File.WriteAllTextAsync(config, $$"""{ "Alerts": { "Webhooks": [ { "Url": "{{_listener.Prefixes.Single()}}", "Format": "json" } ] } }""", Ct);
        var user = dovecot.NewUser();
        var passwordFile = Path.Combine(_work.FullName, "password");
        await File.WriteAllTextAsync(passwordFile, dovecot.Password + "\n", Ct);

        var body = "";
        var (exit, stdout, stderr) = await PollerDovecotTests.RunDmarcAsync(_work.FullName, [
            "poll", "--every", "1h", "--host", dovecot.Host,
            "--port", dovecot.Endpoint(ImapTls.Implicit).Port.ToString(CultureInfo.InvariantCulture),
            "--tls", "implicit", "--ca-file", dovecot.CaPath, "--user", user, "--password-file", passwordFile,
            "--db", store.DatabasePath, "--config", config, "--offline",
        ], async process =>
        {
            var context = await _listener.GetContextAsync().WaitAsync(TimeSpan.FromSeconds(90), Ct);
            using (var reader = new StreamReader(context.Request.InputStream))
                body = await reader.ReadToEndAsync(Ct);
            context.Response.StatusCode = 200;
            context.Response.Close();
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync(Ct);
        });

        Assert.True(exit == 0, $"exit {exit}: {stderr}");
        Assert.Contains("alert: new-source example.com: new source 203.0.113.9 sent 150 messages failing DMARC", stdout);
        Assert.Contains("\"rule\":\"new-source\"", body);
        Assert.Contains("203.0.113.9", body);
        Assert.EndsWith("reports: 0 new, 0 duplicate, 0 failed; records: 0", stdout.Trim());
    }

    public void Dispose()
    {
        _listener.Close();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _work.Delete(recursive: true);
    }
}
