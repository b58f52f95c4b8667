using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using DmarcAnalyzer.Archives;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;
using DmarcAnalyzer.Dns;
using DmarcAnalyzer.Ingest;
using DmarcAnalyzer.Mail;
using DmarcAnalyzer.Milter;
using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Failure;
using DmarcAnalyzer.Reports.Tls;
using DmarcAnalyzer.Xml;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Fuzz;

/// <summary>
/// One fuzz target per parser of bytes from outside. Each runs an input through the parser as the program does and
/// lets through only what the parser may not throw: its own error type is the parser saying "bad input" and is
/// caught here; anything else, or more than <see cref="MaxAllocatedBytes"/> allocated for one input, is a finding.
/// The fuzz program (fuzz/Program.cs) and the replay tests (analyzer.tests/Fuzz) share this file, so a saved
/// input is replayed through exactly the code that found it.
/// </summary>
internal static class FuzzTargets
{
    /// <summary>Allocation for one input past which the input is a finding (issue 14).</summary>
    public const long MaxAllocatedBytes = 256L * 1024 * 1024;

    public static IReadOnlyList<string> Names { get; } =
        ["xml", "report", "unpack", "milter", "dns", "zone", "spf", "dmarc", "authres", "7z", "lzma", "lzma2", "cfb", "zip", "tls", "arf"];

    /// <summary>Runs <paramref name="input"/> through <paramref name="target"/>; throws only on a finding.</summary>
    public static async Task RunAsync(string target, byte[] input, CancellationToken ct)
    {
        var before = GC.GetTotalAllocatedBytes();
        await (target switch
        {
            "xml" => Sync(() => Xml(input)),
            "report" => Sync(() => Report(input)),
            "unpack" => UnpackAsync(input, ct),
            "milter" => MilterAsync(input, ct),
            "dns" => Sync(() => Dns(input)),
            "zone" => Sync(() => Zone(input)),
            "spf" => Sync(() => Spf(input)),
            "dmarc" => Sync(() => Dmarc(input)),
            "authres" => Sync(() => AuthenticationResults(input)),
            "7z" => Sync(() => SevenZip(input)),
            "lzma" => Sync(() => Lzma(input)),
            "lzma2" => Sync(() => Lzma2(input)),
            "cfb" => Sync(() => CompoundFileTarget(input)),
            "zip" => Sync(() => Zip(input)),
            "tls" => Sync(() => Tls(input)),
            "arf" => ArfAsync(input, ct),
            _ => throw new ArgumentException($"unknown fuzz target '{target}'; known: {string.Join(", ", Names)}", nameof(target)),
        });
        var allocated = GC.GetTotalAllocatedBytes() - before;
        if (allocated > MaxAllocatedBytes)
            throw new AllocationLimitExceededException(target, allocated);
    }

    private static Task Sync(Action run)
    {
        run();
        return Task.CompletedTask;
    }

    /// <summary>The reader the report reader stands on: every node, with its names and decoded text.</summary>
    private static void Xml(byte[] input)
    {
        try
        {
            var reader = new Utf8XmlReader(XmlUtf8.From(input));
            while (reader.Read())
                _ = (reader.Name, reader.NamespaceURI, reader.Value);
        }
        catch (XmlSyntaxException)
        {
        }
        catch (XmlEncodingException)
        {
        }
    }

    /// <summary>The aggregate report reader, header and every record, as ingest reads a report.</summary>
    private static void Report(byte[] input)
    {
        try
        {
            var report = AggregateReportReader.Open(input, ReportReadLimits.Default);
            foreach (var _ in report.ReadRecords())
            {
            }
        }
        catch (ReportFormatException)
        {
        }
    }

    /// <summary>An SMTP TLS report's JSON, read whole.</summary>
    private static void Tls(byte[] input)
    {
        try
        {
            TlsReportReader.Read(input, TlsReadLimits.Default);
        }
        catch (ReportFormatException)
        {
        }
    }

    /// <summary>A message as the ingest reads a failure report: MIME within our caps, then the ARF fields and the returned message.</summary>
    private static async Task ArfAsync(byte[] input, CancellationToken ct)
    {
        try
        {
            var message = await BoundedMimeParser.ParseAsync(new MemoryStream(input, writable: false), MimeLimits.Default, ct);
            FailureReportReader.Read(message.Message, input, ct);
        }
        catch (MimeFormatException)
        {
        }
        catch (ReportFormatException)
        {
        }
    }

    /// <summary>gzip, zip and e-mail down to the XML: the unpacker turns every bad container into a failure piece itself.</summary>
    private static async Task UnpackAsync(byte[] input, CancellationToken ct) =>
        await ReportUnpacker.UnpackAsync(input, IngestLimits.Default, ct);

    /// <summary>
    /// A connection's bytes as the MTA sends them: framed into packets and handled by one session, whose handler reads
    /// the spooled message and answers with modifications, so that replies are written too. A small spool limit
    /// sends larger messages to a temporary file, as in production past <c>SpoolMemoryBytes</c>.
    /// </summary>
    private static async Task MilterAsync(byte[] input, CancellationToken ct)
    {
        var options = new MilterOptions { SpoolMemoryBytes = 4096, MaxMessageBytes = 64 * 1024, MaxHeaders = 100, MaxRecipients = 10 };
        var output = new ArrayBufferWriter<byte>();
        await using var session = new MilterSession(new ReadingHandler(), options, NullLogger.Instance);
        var buffer = new ReadOnlySequence<byte>(input);
        try
        {
            while (MilterFrame.TryRead(ref buffer, options.MaxPacketSize, out var frame))
            {
                if (!await session.HandleAsync(frame, output, ct))
                    break;
            }
        }
        catch (MilterProtocolException)
        {
        }
    }

    private sealed class ReadingHandler : IMilterHandler
    {
        public bool NeedsContent(MilterEnvelope envelope) => true;

        public async ValueTask<MilterDecision> EndOfMessageAsync(MilterEnvelope envelope, MessageSpool message, CancellationToken ct)
        {
            await using var content = message.OpenRead();
            await content.CopyToAsync(Stream.Null, ct);
            var tag = $"{envelope.Sender} {message.Headers.Count} {message.Truncated}";
            return new MilterDecision(MilterReply.WithCode(550, "5.7.1 " + envelope.Sender),
            [
                new MilterModification.AddHeader("X-Fuzz", tag),
                new MilterModification.InsertHeader(0, "X-Fuzz-Top", envelope.Helo ?? ""),
                new MilterModification.ChangeHeader(1, "Subject", null),
                new MilterModification.ReplaceBody(Encoding.UTF8.GetBytes(tag)),
                new MilterModification.Quarantine(tag),
            ]);
        }
    }

    private static void Dns(byte[] input)
    {
        try
        {
            DnsResponseParser.Parse(input);
        }
        catch (DnsFormatException)
        {
        }
    }

    /// <summary>Zone text as <c>Dns:ZoneFile</c> gives it; <c>$INCLUDE</c> is refused in text, so no file is read.</summary>
    private static void Zone(byte[] input)
    {
        try
        {
            ZoneFile.Parse(Encoding.UTF8.GetString(input), "example.org.");
        }
        catch (ZoneFileException)
        {
        }
    }

    private static void Spf(byte[] input)
    {
        try
        {
            SpfRecord.Parse(Encoding.UTF8.GetString(input));
        }
        catch (SpfSyntaxException)
        {
        }
    }

    private static void Dmarc(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        if (DmarcRecord.IsDmarc(text))
            DmarcRecord.Parse(text);
    }

    /// <summary>A header value as a milter packet carries it: raw bytes, one char each.</summary>
    private static void AuthenticationResults(byte[] input)
    {
        var value = Encoding.Latin1.GetString(input);
        AuthenticationResultsParser.Parse(value);
        AuthenticationResultsParser.Claims(value, "mx.example.org");
    }

    private static void SevenZip(byte[] input)
    {
        SevenZipHeader.UsesAes(input, new InspectionBudget(16L << 20, CancellationToken.None), out _);
    }

    /// <summary>
    /// Byte 0: the properties byte; byte 1, bit 0: whether the size is known, then in bytes 2-3; the stream from byte 4
    /// (a 7z header coded with LZMA is decoded with its size known, an lzma-alone stream up to its end marker).
    /// </summary>
    private static void Lzma(byte[] input)
    {
        if (input.Length < 4)
            return;
        var decoder = new LzmaDecoder(1 << 20);
        if (!decoder.SetProperties(input[0]))
            return;
        long? size = (input[1] & 1) != 0 ? BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(2)) : null;
        decoder.Decode(input.AsSpan(4), size, endMarkerAllowed: (input[1] & 2) == 0);
    }

    private static void Lzma2(byte[] input) => Lzma2Decoder.Decode(input, new LzmaDecoder(1 << 20));

    /// <summary>The compound-file reader through the Office encryption check, which opens its directory and streams.</summary>
    private static void CompoundFileTarget(byte[] input) => OfficeEncryption.Detect(input);

    /// <summary>The central directory and every member's data, as the archive rule reads them.</summary>
    private static void Zip(byte[] input)
    {
        if (ZipDirectory.Read(input, 1000, CancellationToken.None) is not { } listing)
            return;
        var budget = new InspectionBudget(16L << 20, CancellationToken.None);
        foreach (var member in listing.Members)
            ZipDirectory.Extract(input, member, budget, out _);
    }
}

/// <summary>One input made a target allocate more than <see cref="FuzzTargets.MaxAllocatedBytes"/>.</summary>
internal sealed class AllocationLimitExceededException(string target, long allocated)
    : Exception($"fuzz target {target} allocated {allocated:N0} bytes for one input, more than {FuzzTargets.MaxAllocatedBytes:N0}");
