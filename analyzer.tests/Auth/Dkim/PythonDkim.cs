using System.Diagnostics;
using System.Text.Json;

namespace DmarcAnalyzer.Tests.Auth.Dkim;

/// <summary>
/// Debian's python3-dkim (dkimpy) as the peer: small scripts run under /usr/bin/python3 take JSON on stdin
/// and answer JSON on stdout. Key records reach dkimpy through its dnsfunc, never through real DNS.
/// </summary>
internal static class PythonDkim
{
    private const string Python = "/usr/bin/python3";

    public const string SignScript = """
        import sys, json, dkim
        job = json.load(sys.stdin)
        out = []
        for case in job["cases"]:
            key = job["rsa_pem"].encode() if case["algorithm"] == "rsa-sha256" else job["ed_seed"].encode()
            sig = dkim.sign(job["message"].encode("latin-1"), job["selector"].encode(), job["domain"].encode(), key,
                            canonicalize=(case["header"].encode(), case["body"].encode()),
                            signature_algorithm=case["algorithm"].encode(),
                            include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
            out.append((sig + job["message"].encode("latin-1")).decode("latin-1"))
        json.dump(out, sys.stdout)
        """;

    public const string VerifyScript = """
        import sys, json, dkim
        job = json.load(sys.stdin)
        records = {k.encode(): v.encode() for k, v in job["records"].items()}
        def dnsfunc(name, timeout=5):
            return records.get(name.decode().rstrip(".").encode())
        out = []
        for message in job["messages"]:
            try:
                out.append(bool(dkim.DKIM(message.encode("latin-1")).verify(dnsfunc=dnsfunc)))
            except dkim.DKIMException:
                out.append(False)
        json.dump(out, sys.stdout)
        """;

    public static async Task<T> RunAsync<T>(string script, object input)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing: install Debian's python3 and python3-dkim (test.sh does)");
        var start = new ProcessStartInfo(Python, ["-c", script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(input));
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            var error = await stderr;
            if (error.Contains("No module named 'dkim'", StringComparison.Ordinal))
                Assert.Fail("python3-dkim is missing: apt-get install python3-dkim (test.sh does)");
            Assert.Fail($"python3 exited {process.ExitCode}: {error}");
        }
        return JsonSerializer.Deserialize<T>(await stdout)!;
    }
}
