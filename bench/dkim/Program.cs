using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Dns;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

// DKIM verifications per second: one 50 KB message carrying an RSA-2048 and an Ed25519 signature, keys answered
// from memory (a warm cache); then MimeKit's DkimVerifier (message parsed, both signatures verified) and
// python3-dkim verifying the same message in the same run.
var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10;

var body = new StringBuilder();
for (var line = 0; body.Length < 50 * 1024; line++)
    body.Append($"Line {line}: The quick brown fox jumps over the lazy dog, again and again and again.\r\n");
var message = "From: Joe <joe@example.com>\r\nTo: ann@example.net\r\nSubject: benchmark\r\n" +
              "Date: Sun, 22 Nov 2026 18:00:00 +0000\r\nMessage-ID: <bench@example.com>\r\n\r\n" + body;

using var rsa = DkimSigningKey.Rsa(RSA.Create(2048));
using var ed = DkimSigningKey.Ed25519(RandomNumberGenerator.GetBytes(32));
foreach (var (key, selector) in new[] { (rsa, "rsa"), (ed, "ed") })
    message = await new DmarcAnalyzer.Auth.Dkim.DkimSigner(key, "example.com", selector).SignAsync(new MemoryStream(Encoding.Latin1.GetBytes(message)), default) + message;
var bytes = Encoding.Latin1.GetBytes(message);
var records = new Dictionary<string, string>
{
    ["rsa._domainkey.example.com"] = rsa.PublicKeyRecord(),
    ["ed._domainkey.example.com"] = ed.PublicKeyRecord(),
};

var verifier = new DmarcAnalyzer.Auth.Dkim.DkimVerifier(new MemoryResolver(records));
var check = await verifier.VerifyAsync(new MemoryStream(bytes), default);
if (check.Count != 2 || check.Any(r => r.Result != DkimResultCode.Pass))
    throw new InvalidOperationException("benchmark message does not verify: " + string.Join(", ", check.Select(r => r.Result + " " + r.Reason)));

var count = 0;
// Each verifier runs untimed first until the JIT has tiered up the code it uses: MimeKit and BouncyCastle are not
// precompiled, and a run of a few slow iterations would otherwise measure their tier-0 code.
await WarmUpAsync(() => verifier.VerifyAsync(new MemoryStream(bytes), default));

// CPU time beside wall time: on a shared machine the CPU milliseconds per message are what compares.
var process = Process.GetCurrentProcess();
var cpu = process.TotalProcessorTime;
var clock = Stopwatch.StartNew();
while (clock.Elapsed.TotalSeconds < seconds)
{
    await verifier.VerifyAsync(new MemoryStream(bytes), default);
    count++;
}
var ours = count / clock.Elapsed.TotalSeconds;
Console.WriteLine($"DmarcAnalyzer: {ours:F1} messages/s ({2 * ours:F1} signatures/s), {CpuPerMessage():F2} ms CPU a message, {bytes.Length} bytes, rsa-sha256 2048 + ed25519-sha256");

async Task WarmUpAsync<T>(Func<Task<T>> verify)
{
    for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < Math.Max(3, seconds / 2);)
        await verify();
}

double CpuPerMessage()
{
    process.Refresh();
    var used = (process.TotalProcessorTime - cpu).TotalMilliseconds / count;
    cpu = process.TotalProcessorTime;
    return used;
}

var mimeKit = new MimeKit.Cryptography.DkimVerifier(new MemoryKeyLocator(records));
async Task<int> MimeKitVerifyAsync()
{
    var parsed = await MimeMessage.LoadAsync(new MemoryStream(bytes));
    var passed = 0;
    foreach (var field in parsed.Headers.Where(h => h.Id == HeaderId.DkimSignature))
        passed += await mimeKit.VerifyAsync(parsed, field) ? 1 : 0;
    return passed;
}
if (await MimeKitVerifyAsync() != 2)
    throw new InvalidOperationException("MimeKit does not verify the benchmark message");
await WarmUpAsync(MimeKitVerifyAsync);
count = 0;
process.Refresh();
cpu = process.TotalProcessorTime;
clock.Restart();
while (clock.Elapsed.TotalSeconds < seconds)
{
    await MimeKitVerifyAsync();
    count++;
}
var mime = count / clock.Elapsed.TotalSeconds;
Console.WriteLine($"MimeKit 4.18.2: {mime:F1} messages/s ({2 * mime:F1} signatures/s), {CpuPerMessage():F2} ms CPU a message, parse included");

var file = Path.GetTempFileName();
await File.WriteAllBytesAsync(file, bytes);
try
{
    var script = $$"""
        import sys, time, dkim
        records = {{{string.Join(", ", records.Select(r => $"b'{r.Key}.': b'{r.Value}'"))}}}
        dnsfunc = lambda name, timeout=5: records.get(name)
        message = open(sys.argv[1], 'rb').read()
        d = dkim.DKIM(message)
        assert d.verify(0, dnsfunc=dnsfunc) and d.verify(1, dnsfunc=dnsfunc)
        count, start, cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - start < {{seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}}:
            d = dkim.DKIM(message)
            d.verify(0, dnsfunc=dnsfunc); d.verify(1, dnsfunc=dnsfunc)
            count += 1
        print(count / (time.perf_counter() - start), 1000 * (time.process_time() - cpu) / count)
        """;
    using var python = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", script, file]) { RedirectStandardOutput = true })!;
    var output = await python.StandardOutput.ReadToEndAsync();
    await python.WaitForExitAsync();
    var fields = output.Split(' ', StringSplitOptions.TrimEntries).Select(f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    Console.WriteLine($"python3-dkim:  {fields[0]:F1} messages/s ({2 * fields[0]:F1} signatures/s), {fields[1]:F2} ms CPU a message");
}
finally
{
    File.Delete(file);
}

/// <summary>Key records from memory: the warm-cache case.</summary>
internal sealed class MemoryResolver(Dictionary<string, string> txt) : IDnsResolver
{
    public Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct) =>
        Task.FromResult(txt.TryGetValue(name, out var r) ? DnsLookup<string>.Found([r]) : DnsLookup<string>.NxDomain);

    public Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) => Task.FromResult(DnsLookup<IPAddress>.NxDomain);

    public Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) => Task.FromResult(DnsLookup<IPAddress>.NxDomain);

    public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) => Task.FromResult(DnsLookup<MxRecord>.NxDomain);

    public Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct) => Task.FromResult(DnsLookup<string>.NxDomain);
}

/// <summary>MimeKit's key lookup from the same records; its base class parses them.</summary>
internal sealed class MemoryKeyLocator(Dictionary<string, string> txt) : DkimPublicKeyLocatorBase
{
    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken ct = default) =>
        GetPublicKey(txt[$"{selector}._domainkey.{domain}"]);

    public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken ct = default) =>
        Task.FromResult(LocatePublicKey(methods, domain, selector, ct));
}
