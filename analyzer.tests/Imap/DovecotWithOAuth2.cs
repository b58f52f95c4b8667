using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace DmarcAnalyzer.Tests.Imap;

/// <summary>
/// The Dovecot fixture also offering XOAUTH2 and OAUTHBEARER, its <c>oauth2</c> passdb asking a token introspection
/// endpoint (RFC 7662) that this fixture serves on 127.0.0.1: a token is active while a test has granted it.
/// </summary>
public class DovecotWithOAuth2 : DovecotServer
{
    private readonly ConcurrentDictionary<string, string> grants = new(StringComparer.Ordinal);
    private HttpListener? introspection;
    private Task? serving;
    private int port;

    protected override string AuthMechanisms => "plain login xoauth2 oauthbearer";

    protected override string ExtraPassdb => $$"""
        passdb {
          driver = oauth2
          args = {{Root}}/dovecot-oauth2.conf.ext
        }
        """;

    private int introspections;

    /// <summary>How many tokens Dovecot has asked about.</summary>
    public int Introspections => Volatile.Read(ref introspections);

    /// <summary>Makes <paramref name="token"/> an active token for <paramref name="user"/>.</summary>
    public void Grant(string token, string user) => grants[token] = user;

    public void Revoke(string token) => grants.TryRemove(token, out _);

    public override async ValueTask InitializeAsync()
    {
        port = FreePort();
        introspection = new HttpListener();
        introspection.Prefixes.Add($"http://127.0.0.1:{port}/");
        introspection.Start();
        serving = ServeAsync(introspection);
        await File.WriteAllTextAsync(Path.Combine(Root, "dovecot-oauth2.conf.ext"), $"""
            introspection_url = http://127.0.0.1:{port}/introspect
            introspection_mode = post
            username_attribute = username
            active_attribute = active
            active_value = true
            """);
        await base.InitializeAsync();
    }

    /// <summary>Answers Dovecot's <c>POST token=…</c> with <c>{"active":…,"username":…}</c>.</summary>
    private async Task ServeAsync(HttpListener listener)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref introspections);
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8))
                body = await reader.ReadToEndAsync();
            var token = body.Split('&').Select(p => p.Split('=', 2)).Where(p => p is ["token", _]).Select(p => WebUtility.UrlDecode(p[1])).FirstOrDefault();
            var answer = token is not null && grants.TryGetValue(token, out var user)
                ? $$"""{"active":true,"username":"{{user}}"}"""
                : """{"active":false}""";
            var bytes = Encoding.UTF8.GetBytes(answer);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        introspection?.Stop();
        introspection?.Close();
        if (serving is not null)
            await serving;
        GC.SuppressFinalize(this);
    }
}

/// <summary>Dovecot offering XOAUTH2 alone, as Microsoft 365 and Gmail did before OAUTHBEARER.</summary>
public sealed class DovecotWithXoauth2Only : DovecotWithOAuth2
{
    protected override string AuthMechanisms => "plain login xoauth2";
}
