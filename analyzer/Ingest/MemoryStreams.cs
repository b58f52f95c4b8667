using System.Runtime.InteropServices;

namespace DmarcAnalyzer.Ingest;

internal static class MemoryStreams
{
    /// <summary>A read-only stream over bytes already in memory, without copying them when they sit in an array.</summary>
    public static MemoryStream Open(ReadOnlyMemory<byte> bytes) =>
        MemoryMarshal.TryGetArray(bytes, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);
}
