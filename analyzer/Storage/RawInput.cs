using System.Security.Cryptography;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// The bytes kept of one input for the failures table, hashed once however many of its pieces fail.
/// <see cref="Size"/> is the input's true size; <see cref="Bytes"/> may be only a prefix of an oversized input.
/// </summary>
internal sealed class RawInput(ReadOnlyMemory<byte> bytes, long size)
{
    private string? _sha256;

    public ReadOnlyMemory<byte> Bytes { get; } = bytes;

    public long Size { get; } = size;

    public string Sha256 => _sha256 ??= Convert.ToHexStringLower(SHA256.HashData(Bytes.Span));
}
