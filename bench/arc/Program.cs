using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Arc;
using DmarcAnalyzer.Dns;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

// Where the milter's ARC time goes, one message at a time on one thread: parsing it with MimeKit, verifying its
// chain (ArcChainVerifier, as the milter calls it, and MimeKit's ArcVerifier alone), sealing it (ArcSealer with an
// rsa-sha256 and an ed25519-sha256 key), and the RSA-2048 primitives underneath (BouncyCastle, which MimeKit signs
// and verifies with, beside .NET's RSA on OpenSSL). Keys come from the zone file, answered from memory.
// Usage: dotnet run -c Release --project bench/arc -- MESSAGE.eml ZONE RSA-KEY.pem ED25519-KEY.pem [SECONDS]
var (messageFile, zoneFile, rsaKeyFile, edKeyFile) = (args[0], args[1], args[2], args[3]);
var seconds = args.Length > 4 ? double.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 3;
var bytes = await File.ReadAllBytesAsync(messageFile);
var records = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
foreach (var line in await File.ReadAllLinesAsync(zoneFile))
{
    var m = Regex.Match(line, @"^(\S+)\s+IN\s+TXT\s+(.*)$");
    if (m.Success)
        records[m.Groups[1].Value.TrimEnd('.')] = string.Concat(Regex.Matches(m.Groups[2].Value, "\"([^\"]*)\"").Select(q => q.Groups[1].Value));
}
var dns = new MemoryResolver(records);
var verifier = new ArcChainVerifier(dns);
var rsaSeal = ArcSealKey.Read("mx.bench.example", "arc", rsaKeyFile, "rsa-sha256");
var edSeal = ArcSealKey.Read("mx.bench.example", "ed", edKeyFile, "ed25519-sha256");
const string Ours = "mx.bench.example; spf=pass smtp.mailfrom=bench@sender.example; dkim=pass header.d=sender.example;"
    + " dmarc=pass header.from=sender.example; arc=pass smtp.remote-ip=127.0.0.1";
var now = DateTimeOffset.UtcNow;

var check = await verifier.VerifyAsync(MimeMessage.Load(new MemoryStream(bytes)), default);
Console.WriteLine($"{messageFile}: {bytes.Length} bytes, arc={check.State.Word()}, {check.Sets} sets, oldest pass {check.OldestPass}, sealer {check.Sealer}");
if (await ArcSealer.SealAsync(rsaSeal, new MemoryStream(bytes), Ours, now, default) is null)
    throw new InvalidOperationException("no seal");

var rsaBc = (RsaPrivateCrtKeyParameters)rsaSeal.PrivateKey;
var rsaBcPublic = new RsaKeyParameters(false, rsaBc.Modulus, rsaBc.PublicExponent);
using var rsaNet = RSA.Create();
rsaNet.ImportFromPem(await File.ReadAllTextAsync(rsaKeyFile));
var data = RandomNumberGenerator.GetBytes(300);
var bcSignature = BcSign();
var arcVerifier = new ArcVerifier(new MemoryKeyLocator(records));
var cachedVerifier = new ArcVerifier(new MemoryKeyLocator(records, cache: true));

await TimeAsync("MimeMessage.Load", () => Task.FromResult(MimeMessage.Load(new MemoryStream(bytes))));
await TimeAsync("Load + ArcChainVerifier (milter's verification)", () => verifier.VerifyAsync(MimeMessage.Load(new MemoryStream(bytes)), default));
await TimeAsync("Load + MimeKit ArcVerifier alone", () => arcVerifier.VerifyAsync(MimeMessage.Load(new MemoryStream(bytes)), default));
await TimeAsync("Load + MimeKit ArcVerifier, keys parsed once", () => cachedVerifier.VerifyAsync(MimeMessage.Load(new MemoryStream(bytes)), default));
await TimeAsync("RSA-2048 key record to key (MimeKit GetPublicKey)", () => Task.FromResult(new MemoryKeyLocator(records).LocatePublicKey("dns/txt", "forwarder1.example", "arc")));
var der = Convert.FromBase64String(Regex.Match(records["arc._domainkey.forwarder1.example"], "p=([^;]+)").Groups[1].Value);
var parsedKey = (RsaKeyParameters)Org.BouncyCastle.Security.PublicKeyFactory.CreateKey(der);
await TimeAsync("RSA-2048 DER to key (BouncyCastle PublicKeyFactory)", () => Task.FromResult(Org.BouncyCastle.Security.PublicKeyFactory.CreateKey(der)));
await TimeAsync("RSA-2048 new RsaKeyParameters(n, e) (BouncyCastle)", () => Task.FromResult(new RsaKeyParameters(false, parsedKey.Modulus, parsedKey.Exponent)));
await TimeAsync("ArcSealer rsa-sha256 2048 (Load included)", () => ArcSealer.SealAsync(rsaSeal, new MemoryStream(bytes), Ours, now, default));
await TimeAsync("ArcSealer ed25519-sha256 (Load included)", () => ArcSealer.SealAsync(edSeal, new MemoryStream(bytes), Ours, now, default));
await TimeAsync("RSA-2048 sign, BouncyCastle", () => Task.FromResult(BcSign()));
await TimeAsync("RSA-2048 sign, .NET (OpenSSL)", () => Task.FromResult(rsaNet.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));
await TimeAsync("RSA-2048 verify, BouncyCastle", () => Task.FromResult(BcVerify()));
await TimeAsync("RSA-2048 verify, .NET (OpenSSL)", () => Task.FromResult(rsaNet.VerifyData(data, bcSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));

byte[] BcSign()
{
    var signer = new RsaDigestSigner(new Sha256Digest());
    signer.Init(true, rsaBc);
    signer.BlockUpdate(data, 0, data.Length);
    return signer.GenerateSignature();
}

bool BcVerify()
{
    var signer = new RsaDigestSigner(new Sha256Digest());
    signer.Init(false, rsaBcPublic);
    signer.BlockUpdate(data, 0, data.Length);
    return signer.VerifySignature(bcSignature);
}

// Untimed first until the JIT has tiered the code up (MimeKit and BouncyCastle are not precompiled), then timed:
// CPU milliseconds per call (the process's CPU time, one thread) and wall-clock calls per second.
async Task TimeAsync<T>(string what, Func<Task<T>> call)
{
    for (var warm = Stopwatch.StartNew(); warm.Elapsed.TotalSeconds < Math.Max(2, seconds / 2);)
        await call();
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var count = 0;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        await call();
        count++;
    }
    process.Refresh();
    var used = (process.TotalProcessorTime - cpu).TotalMilliseconds / count;
    Console.WriteLine($"{what,-50} {used,7:F3} ms CPU a call  {count / clock.Elapsed.TotalSeconds,8:F0} calls/s");
}

/// <summary>TXT records from memory: the warm-cache case.</summary>
internal sealed class MemoryResolver(Dictionary<string, string> txt) : IDnsResolver
{
    public Task<DnsLookup<string>> TxtAsync(string name, CancellationToken ct) =>
        Task.FromResult(txt.TryGetValue(name.TrimEnd('.'), out var r) ? DnsLookup<string>.Found([r]) : DnsLookup<string>.NxDomain);

    public Task<DnsLookup<IPAddress>> AAsync(string name, CancellationToken ct) => Task.FromResult(DnsLookup<IPAddress>.NxDomain);

    public Task<DnsLookup<IPAddress>> AaaaAsync(string name, CancellationToken ct) => Task.FromResult(DnsLookup<IPAddress>.NxDomain);

    public Task<DnsLookup<MxRecord>> MxAsync(string name, CancellationToken ct) => Task.FromResult(DnsLookup<MxRecord>.NxDomain);

    public Task<DnsLookup<string>> PtrAsync(IPAddress address, CancellationToken ct) => Task.FromResult(DnsLookup<string>.NxDomain);
}

/// <summary>MimeKit's key lookup from the same records; its base class parses them, every time or (cache) once per record.</summary>
internal sealed class MemoryKeyLocator(Dictionary<string, string> txt, bool cache = false) : DkimPublicKeyLocatorBase
{
    private readonly Dictionary<string, Org.BouncyCastle.Crypto.AsymmetricKeyParameter> _parsed = [];

    public override Org.BouncyCastle.Crypto.AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken ct = default)
    {
        var record = txt[$"{selector}._domainkey.{domain}"];
        if (!cache)
            return GetPublicKey(record);
        if (!_parsed.TryGetValue(record, out var key))
            _parsed[record] = key = GetPublicKey(record);
        return key;
    }

    public override Task<Org.BouncyCastle.Crypto.AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken ct = default) =>
        Task.FromResult(LocatePublicKey(methods, domain, selector, ct));
}
