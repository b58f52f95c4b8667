using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>Messages and archives built in the tests, so that every byte the filter sees is known.</summary>
internal static class TestMessages
{
    public sealed record Part(string ContentType, string Disposition, byte[] Content);

    public static Part Attachment(string fileName, byte[] content, string contentType = "application/octet-stream") =>
        new($"{contentType}; name=\"{fileName}\"", $"attachment; filename=\"{fileName}\"", content);

    /// <summary>A multipart/mixed message with a text part and the given attachments, base64-encoded.</summary>
    public static byte[] Multipart(string from, params Part[] parts)
    {
        var text = new StringBuilder();
        text.Append($"From: {from}\r\nTo: rcpt@example.net\r\nSubject: test\r\nMIME-Version: 1.0\r\n");
        text.Append("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n");
        text.Append("--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n");
        foreach (var part in parts)
        {
            text.Append($"--b1\r\nContent-Type: {part.ContentType}\r\nContent-Disposition: {part.Disposition}\r\n");
            text.Append("Content-Transfer-Encoding: base64\r\n\r\n");
            text.Append(Convert.ToBase64String(part.Content, Base64FormattingOptions.InsertLineBreaks)).Append("\r\n");
        }
        text.Append("--b1--\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>The top-level header fields of a message, as the MTA would send them to the milter.</summary>
    public static IReadOnlyList<(string Name, string Value)> Headers(byte[] message)
    {
        var text = Encoding.Latin1.GetString(message);
        var block = text[..text.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        return block.Split("\r\n").Select(l => (l[..l.IndexOf(':')], l[(l.IndexOf(':') + 1)..].TrimStart())).ToArray();
    }

    public static byte[] PlainZip(params (string Name, byte[] Content)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(content);
            }
        }
        return output.ToArray();
    }

    /// <summary>
    /// A one-member ZIP whose member is stored "encrypted": general purpose bit 0 set (traditional PKWARE), or
    /// method 99 with the 0x9901 extra field (WinZip AES). The data is random: the filter never decrypts.
    /// </summary>
    public static byte[] EncryptedZip(string name, bool aes = false)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var data = new byte[64];
        new Random(7).NextBytes(data);
        byte[] extra = aes ? [0x01, 0x99, 7, 0, 2, 0, (byte)'A', (byte)'E', 3, 8, 0] : [];
        ushort method = aes ? (ushort)99 : (ushort)8;
        const ushort flags = 0x0001 | 0x0800;
        using var output = new MemoryStream();
        var writer = new BinaryWriter(output);
        writer.Write(0x04034b50u);
        writer.Write((ushort)20);
        writer.Write(flags);
        writer.Write(method);
        writer.Write(0u);
        writer.Write(0u);
        writer.Write((uint)data.Length);
        writer.Write(100u);
        writer.Write((ushort)nameBytes.Length);
        writer.Write((ushort)extra.Length);
        writer.Write(nameBytes);
        writer.Write(extra);
        writer.Write(data);
        var central = output.Position;
        writer.Write(0x02014b50u);
        writer.Write((ushort)20);
        writer.Write((ushort)20);
        writer.Write(flags);
        writer.Write(method);
        writer.Write(0u);
        writer.Write(0u);
        writer.Write((uint)data.Length);
        writer.Write(100u);
        writer.Write((ushort)nameBytes.Length);
        writer.Write((ushort)extra.Length);
        writer.Write((ushort)0);
        writer.Write((ushort)0);
        writer.Write((ushort)0);
        writer.Write(0u);
        writer.Write(0u);
        writer.Write(nameBytes);
        writer.Write(extra);
        var centralSize = output.Position - central;
        writer.Write(0x06054b50u);
        writer.Write((ushort)0);
        writer.Write((ushort)0);
        writer.Write((ushort)1);
        writer.Write((ushort)1);
        writer.Write((uint)centralSize);
        writer.Write((uint)central);
        writer.Write((ushort)0);
        writer.Flush();
        return output.ToArray();
    }

    /// <summary>
    /// A 7z file with a plain next header (7zFormat.txt) and 16 packed bytes: one folder of LZMA, or of AES-256
    /// (06F10701) feeding LZMA when <paramref name="encrypted"/>.
    /// </summary>
    public static byte[] SevenZip(bool encrypted)
    {
        byte[] lzma = [0x23, 0x03, 0x01, 0x01, 0x05, 0x5D, 0x00, 0x00, 0x10, 0x00];
        byte[] folder = encrypted ? [0x02, 0x24, 0x06, 0xF1, 0x07, 0x01, 0x00, .. lzma, 0x01, 0x00] : [0x01, .. lzma];
        byte[] unpackSizes = encrypted ? [0x10, 0x05] : [0x05];
        byte[] header = [0x01, 0x04, 0x06, 0x00, 0x01, 0x09, 0x10, 0x00, 0x07, 0x0B, 0x01, 0x00, .. folder, 0x0C, .. unpackSizes, 0x00, 0x00, 0x00];
        var file = new byte[32 + 16 + header.Length];
        "7z"u8.CopyTo(file);
        file[2] = 0xBC; file[3] = 0xAF; file[4] = 0x27; file[5] = 0x1C; file[7] = 4;
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(12), 16);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(20), (ulong)header.Length);
        header.CopyTo(file, 48);
        return WithStartHeaderCrc(file);
    }

    /// <summary>A 7z file's start header CRC (bytes 8-11, over bytes 12-31) set to match, as after an edit of the start header.</summary>
    public static byte[] WithStartHeaderCrc(byte[] file)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), System.IO.Hashing.Crc32.HashToUInt32(file.AsSpan(12, 20)));
        return file;
    }

    public static byte[] Rar4(bool encryptedHeaders, bool encryptedFile)
    {
        var bytes = new List<byte> { (byte)'R', (byte)'a', (byte)'r', (byte)'!', 0x1A, 0x07, 0x00 };
        ushort mainFlags = encryptedHeaders ? (ushort)0x0080 : (ushort)0;
        bytes.AddRange([0, 0, 0x73, (byte)mainFlags, (byte)(mainFlags >> 8), 13, 0, 0, 0, 0, 0, 0, 0]);
        ushort fileFlags = (ushort)(0x8000 | (encryptedFile ? 0x0004 : 0));
        var name = "a.txt"u8.ToArray();
        var headerSize = (ushort)(32 + name.Length);
        var file = new byte[headerSize];
        file[2] = 0x74;
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(3), fileFlags);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(5), headerSize);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(7), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(26), (ushort)name.Length);
        name.CopyTo(file, 32);
        bytes.AddRange(file);
        bytes.AddRange("abc"u8.ToArray());
        bytes.AddRange([0, 0, 0x7B, 0, 0x40, 7, 0]);
        return bytes.ToArray();
    }

    /// <summary>RAR 5: the signature, then an archive encryption header (type 4) or a main header (type 1).</summary>
    public static byte[] Rar5(bool encrypted)
    {
        var bytes = new List<byte> { (byte)'R', (byte)'a', (byte)'r', (byte)'!', 0x1A, 0x07, 0x01, 0x00 };
        bytes.AddRange([0, 0, 0, 0]);
        if (encrypted)
            bytes.AddRange([3, 4, 0, 0]);
        else
            bytes.AddRange([3, 1, 0, 0]);
        bytes.AddRange([0, 0, 0, 0, 3, 5, 0, 0]);
        return bytes.ToArray();
    }

    public static byte[] Pdf(string trailer) =>
        Encoding.ASCII.GetBytes($"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n<< /Size 2 /Root 1 0 R {trailer} >>\n%%EOF\n");
}
