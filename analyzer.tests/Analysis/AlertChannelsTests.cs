using System.Net;
using System.Text.Json.Nodes;
using DmarcAnalyzer.Analysis;
using DmarcAnalyzer.Tests.Filter;

namespace DmarcAnalyzer.Tests.Analysis;

/// <summary>The webhook formats as a local HTTP receiver gets them, and the retries when it fails.</summary>
public sealed class AlertChannelsTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private readonly HttpListener _listener = new();
    private readonly string _url;
    private readonly HttpClient _http = new();

    private static readonly Alert[] Alerts =
    [
        new(AlertRule.NewSource, "example.com", "203.0.113.9", "new source 203.0.113.9 sent 150 messages failing DMARC"),
        new(AlertRule.Silence, "*", "", "no aggregate report stored since 2026-12-01 00:00 UTC"),
    ];

    public AlertChannelsTests()
    {
        // A free loopback port: bind port 0, read it, let it go, listen there.
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _url = $"http://127.0.0.1:{port}/hooks/secret-token/";
        _listener.Prefixes.Add(_url);
        _listener.Start();
    }

    /// <summary>Answers <paramref name="statuses"/> in turn to the requests that come, and returns their bodies.</summary>
    private async Task<List<string>> ReceiveAsync(params HttpStatusCode[] statuses)
    {
        var bodies = new List<string>();
        foreach (var status in statuses)
        {
            var context = await _listener.GetContextAsync().WaitAsync(Ct);
            Assert.Equal("POST", context.Request.HttpMethod);
            Assert.StartsWith("application/json", context.Request.ContentType);
            using (var reader = new StreamReader(context.Request.InputStream))
                bodies.Add(await reader.ReadToEndAsync(Ct));
            context.Response.StatusCode = (int)status;
            context.Response.Close();
        }
        return bodies;
    }

    [Theory]
    [InlineData("json")]
    [InlineData("slack")]
    [InlineData("mattermost")]
    [InlineData("teams")]
    public async Task EachFormatReachesTheReceiver(string name)
    {
        var format = Enum.Parse<WebhookFormat>(name, ignoreCase: true);
        var channels = new AlertChannels(_http, new ListLogger<AlertChannelsTests>(), TimeSpan.FromMilliseconds(10));
        var received = ReceiveAsync(HttpStatusCode.OK);

        Assert.True(await channels.PostAsync(new AlertWebhook(new Uri(_url), format), Alerts, Ct));

        var body = JsonNode.Parse(Assert.Single(await received))!.AsObject();
        var lines = "alert: new-source example.com: new source 203.0.113.9 sent 150 messages failing DMARC\nalert: silence *: no aggregate report stored since 2026-12-01 00:00 UTC";
        switch (format)
        {
            case WebhookFormat.Json:
                var alerts = body["alerts"]!.AsArray();
                Assert.Equal(2, alerts.Count);
                Assert.Equal("new-source", (string?)alerts[0]!["rule"]);
                Assert.Equal("example.com", (string?)alerts[0]!["domain"]);
                Assert.Equal("silence", (string?)alerts[1]!["rule"]);
                break;
            case WebhookFormat.Slack:
                Assert.Equal(lines, (string?)body["text"]);
                break;
            case WebhookFormat.Mattermost:
                Assert.Equal(Markdown(lines), (string?)body["text"]);
                break;
            default:
                Assert.Equal("MessageCard", (string?)body["@type"]);
                Assert.Equal(Markdown(lines).Replace("\n", "<br>", StringComparison.Ordinal), (string?)body["text"]);
                break;
        }
    }

    /// <summary>The lines as Mattermost and Teams get them: Markdown's '*' escaped so a domain cannot start emphasis.</summary>
    private static string Markdown(string lines) => lines.Replace("*", "\\*", StringComparison.Ordinal);

    [Fact]
    public async Task AFailingReceiverIsRetriedThenLoggedWithoutItsSecret()
    {
        var log = new ListLogger<AlertChannelsTests>();
        var channels = new AlertChannels(_http, log, TimeSpan.FromMilliseconds(10));
        var received = ReceiveAsync(HttpStatusCode.InternalServerError, HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable);

        Assert.False(await channels.PostAsync(new AlertWebhook(new Uri(_url), WebhookFormat.Json), Alerts, Ct));

        Assert.Equal(AlertChannels.Attempts, (await received).Count);
        var line = Assert.Single(log.Entries).Message;
        Assert.Contains("failed after 3 attempts: HTTP 503", line);
        Assert.DoesNotContain("secret-token", line);
    }

    [Fact]
    public async Task ARetryThatSucceedsIsASuccess()
    {
        var channels = new AlertChannels(_http, new ListLogger<AlertChannelsTests>(), TimeSpan.FromMilliseconds(10));
        var received = ReceiveAsync(HttpStatusCode.InternalServerError, HttpStatusCode.OK);

        Assert.True(await channels.PostAsync(new AlertWebhook(new Uri(_url), WebhookFormat.Slack), Alerts, Ct));
        Assert.Equal(2, (await received).Count);
    }

    public void Dispose()
    {
        _listener.Close();
        _http.Dispose();
    }
}
