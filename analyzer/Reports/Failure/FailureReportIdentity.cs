using System.Security.Cryptography;

namespace DmarcAnalyzer.Reports.Failure;

/// <summary>
/// A failure report's identity: the SHA-256 of its raw bytes without the header fields that transport adds
/// (Received, Return-Path, Delivered-To), so the same report fetched twice, or reaching two mailboxes, is one report.
/// Line ends count as LF: IMAP hands a message over with CRLF, a Maildir or mbox file keeps it with LF.
/// </summary>
internal static class FailureReportIdentity
{
    private static readonly string[] TransportFields = ["received", "return-path", "delivered-to"];

    public static string Of(ReadOnlySpan<byte> raw)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var position = 0;
        var skipping = false;
        var inBody = false;
        while (position < raw.Length)
        {
            var newline = raw[position..].IndexOf((byte)'\n');
            var end = newline < 0 ? raw.Length : position + newline + 1;
            var line = raw[position..end];
            // The header ends at the first empty line (RFC 5322 section 2.1); the body's lines are all hashed.
            if (IsBlank(line))
                inBody = true;
            else if (!inBody && line[0] is not ((byte)' ' or (byte)'\t'))
                skipping = IsTransportField(line);
            if (inBody || !skipping)
                AppendLine(hash, line);
            position = end;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendLine(IncrementalHash hash, ReadOnlySpan<byte> line)
    {
        if (line.EndsWith("\r\n"u8))
        {
            hash.AppendData(line[..^2]);
            hash.AppendData("\n"u8);
        }
        else
        {
            hash.AppendData(line);
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line is [(byte)'\n'] or [(byte)'\r', (byte)'\n'];

    private static bool IsTransportField(ReadOnlySpan<byte> line)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
            return false;
        var name = System.Text.Encoding.ASCII.GetString(line[..colon]).TrimEnd();
        return TransportFields.Contains(name, StringComparer.OrdinalIgnoreCase);
    }
}
