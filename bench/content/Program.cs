using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using System.Text;
using DmarcAnalyzer.Filter;
using Microsoft.Extensions.Logging.Abstractions;

// The content checks of dmarc milter under hostile mail (issue 14): a 7z of a few KB whose encoded header decodes, 8 MB
// at a time, to a header that points at the same packed bytes again, so that each copy asks the reader for all the
// LZMA work the budget allows; a message carries 100 copies. Four such messages are decided over and over while ordinary messages
// (a 100 KB PDF and a small ZIP) are decided one after another; the ordinary messages' verdict latency is printed,
// with the hostile messages' own verdicts and times. The engine is the milter's (FilterEngine, default options:
// 2 content checks per core at once), without authentication: DNS is not what is measured.

var ordinaryCount = args.Length > 0 ? int.Parse(args[0]) : 40;
var hostile7z = await LoopingHeader7zAsync();
var hostile = Message("hostile@attacker.example", Enumerable.Range(0, 100).Select(i => ($"h{i}.7z", hostile7z)).ToArray());
var pdf = Encoding.ASCII.GetBytes("%PDF-1.7\n" + new string('x', 100_000) + "\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
var ordinary = Message("alice@partner.example", ("report.pdf", pdf), ("data.zip", PlainZip()));

var options = new FilterOptions();
var engine = new FilterEngine(() => options, TimeProvider.System, NullLogger<FilterEngine>.Instance);
Console.WriteLine($"hostile 7z: {hostile7z.Length:N0} bytes; hostile message: {hostile.Length:N0} bytes; ordinary message: {ordinary.Length:N0} bytes");
Console.WriteLine($"limits: {options.MaxInflatedBytes >> 20} MB inflated per message, content time limit {options.ContentTimeLimit.TotalSeconds} s, "
    + $"{options.Milter.MaxConcurrentChecks} content checks at once ({Environment.ProcessorCount} cores)");

// Warm-up: JIT tiers.
for (var i = 0; i < 5; i++)
    await DecideAsync(ordinary);
var (alone, verdict) = await TimedAsync(hostile);
Console.WriteLine($"one hostile message alone: {alone.TotalSeconds:0.00} s, {verdict.Action}: {verdict.Reason}");
var quiet = new List<double>();
for (var i = 0; i < ordinaryCount; i++)
    quiet.Add((await TimedAsync(ordinary)).Elapsed.TotalMilliseconds);
Console.WriteLine($"ordinary messages, nothing else in flight: {Summary(quiet)}");

using var stop = new CancellationTokenSource();
var hostileTimes = new List<double>();
var attackers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
{
    while (!stop.IsCancellationRequested)
    {
        var (elapsed, _) = await TimedAsync(hostile);
        lock (hostileTimes)
            hostileTimes.Add(elapsed.TotalSeconds);
    }
})).ToArray();
await Task.Delay(500);
var busy = new List<double>();
for (var i = 0; i < ordinaryCount; i++)
    busy.Add((await TimedAsync(ordinary)).Elapsed.TotalMilliseconds);
stop.Cancel();
await Task.WhenAll(attackers);
Console.WriteLine($"ordinary messages, four hostile ones in flight: {Summary(busy)}");
Console.WriteLine($"hostile messages decided meanwhile: {hostileTimes.Count}, {hostileTimes.Average():0.00} s each on average, longest {hostileTimes.Max():0.00} s");

async Task<Verdict> DecideAsync(byte[] message)
{
    var envelope = new MessageEnvelope("Q1", "192.0.2.1", "mx.example", "mx.example", "sender@example.org", ["bob@example.net"], null, "smtpd");
    return await engine.DecideAsync(envelope, Headers(message), new MemoryStream(message), MessageCompleteness.Whole, CancellationToken.None);
}

async Task<(TimeSpan Elapsed, Verdict Verdict)> TimedAsync(byte[] message)
{
    var clock = Stopwatch.StartNew();
    var verdict = await DecideAsync(message);
    return (clock.Elapsed, verdict);
}

static string Summary(List<double> ms)
{
    ms.Sort();
    return $"median {ms[ms.Count / 2]:0.0} ms, 90th percentile {ms[ms.Count * 9 / 10]:0.0} ms, max {ms[^1]:0.0} ms ({ms.Count} messages)";
}

static byte[] Message(string from, params (string Name, byte[] Content)[] attachments)
{
    var text = new StringBuilder();
    text.Append($"From: {from}\r\nTo: bob@example.net\r\nSubject: bench\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
    text.Append("--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n");
    foreach (var (name, content) in attachments)
    {
        text.Append($"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        text.Append(Convert.ToBase64String(content, Base64FormattingOptions.InsertLineBreaks)).Append("\r\n");
    }
    text.Append("--b--\r\n");
    return Encoding.ASCII.GetBytes(text.ToString());
}

static IReadOnlyList<(string Name, string Value)> Headers(byte[] message)
{
    var text = Encoding.ASCII.GetString(message);
    return text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n")
        .Select(l => (l[..l.IndexOf(':')], l[(l.IndexOf(':') + 1)..].TrimStart())).ToArray();
}

static byte[] PlainZip()
{
    using var output = new MemoryStream();
    using (var zip = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
    {
        using var stream = zip.CreateEntry("figures.csv").Open();
        stream.Write(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("2026-12-01,42,ok\n", 2000))));
    }
    return output.ToArray();
}

// The 7z: start header, the LZMA stream P at pack position 0, then the next header H: an encoded header (7zFormat.txt)
// whose one folder of one LZMA coder unpacks P. P is 8 MB of the same H followed by zeros, so every decoding gives H
// again, until the reader's limit on encodings. H holds P's size, so it is built until the size holds still.
static async Task<byte[]> LoopingHeader7zAsync()
{
    // 8 MB: the most LZMA work one 7z header may ask of the default 64 MB budget, each decoded byte counting eight.
    const int unpacked = 8 << 20;
    var packedSize = 0;
    byte[] header = [], packed = [];
    for (var round = 0; round < 10; round++)
    {
        header = EncodedHeader(packedSize, unpacked, [0x5D, 0, 0, 0, 1]);
        var plain = new byte[unpacked];
        header.CopyTo(plain, 0);
        var lzma = await XzAsync(plain);
        header = EncodedHeader(packedSize, unpacked, lzma[..5]);
        packed = lzma[13..];
        if (packed.Length == packedSize)
            break;
        packedSize = packed.Length;
    }
    var file = new byte[32 + packed.Length + header.Length];
    "7z"u8.CopyTo(file);
    file[2] = 0xBC; file[3] = 0xAF; file[4] = 0x27; file[5] = 0x1C; file[7] = 4;
    BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(12), (ulong)packed.Length);
    BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(20), (ulong)header.Length);
    BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(28), Crc32.HashToUInt32(header));
    packed.CopyTo(file, 32);
    header.CopyTo(file, 32 + packed.Length);
    BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), Crc32.HashToUInt32(file.AsSpan(12, 20)));
    return file;
}

static byte[] EncodedHeader(int packedSize, int unpackedSize, byte[] properties) =>
    [0x17, 0x06, 0x00, 0x01, 0x09, .. Number((ulong)packedSize), 0x00, 0x07, 0x0B, 0x01, 0x00, 0x01,
        0x23, 0x03, 0x01, 0x01, 0x05, .. properties, 0x0C, .. Number((ulong)unpackedSize), 0x00, 0x00];

// 7z's UINT64 for values below 2^28: the leading one bits of the first byte count the bytes that follow.
static byte[] Number(ulong value) => value switch
{
    < 0x80 => [(byte)value],
    < 0x4000 => [(byte)(0x80 | value >> 8), (byte)value],
    < 0x200000 => [(byte)(0xC0 | value >> 16), (byte)value, (byte)(value >> 8)],
    _ => [(byte)(0xE0 | value >> 24), (byte)value, (byte)(value >> 8), (byte)(value >> 16)],
};

static async Task<byte[]> XzAsync(byte[] input)
{
    var start = new ProcessStartInfo("xz", ["-c", "--format=lzma", "-6"]) { RedirectStandardInput = true, RedirectStandardOutput = true };
    using var process = Process.Start(start)!;
    using var output = new MemoryStream();
    var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
    await process.StandardInput.BaseStream.WriteAsync(input);
    process.StandardInput.Close();
    await copy;
    await process.WaitForExitAsync();
    return output.ToArray();
}
