using System.Runtime.InteropServices;

namespace DmarcAnalyzer.Ingest;

/// <summary>
/// A large byte array whose pages the kernel maps in one call before it is written, as 2 MB pages where it
/// can. Touching fresh memory page by page costs one page fault per 4 KB, and on a virtual machine a fault is
/// expensive; even mapped, each 4 KB page costs the hypervisor's page tables at its first read or write. The
/// figures for a large report are in bench/README.md (dmarc ingest).
/// </summary>
internal static class PrefaultedArray
{
    /// <summary>Below this, page faults cost too little to be worth a system call.</summary>
    private const int From = 1 << 20;

    /// <summary>Linux 5.14+; older kernels answer EINVAL and the pages fault in one by one as before.</summary>
    private const int MadvPopulateWrite = 23;

    /// <summary>Transparent huge pages for the range, when the system allows them on request (the default); otherwise EINVAL.</summary>
    private const int MadvHugePage = 14;

    private const nint HugePageSize = 2 << 20;

    public static byte[] Allocate(int length)
    {
        if (length < From || !OperatingSystem.IsLinux())
            return GC.AllocateUninitializedArray<byte>(length);
        // Pinned, so the address given to the kernel stays the array's.
        var array = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        var address = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        try
        {
            // Huge pages are asked for before the pages are mapped: pages mapped small stay small.
            Advise(address, length, HugePageSize, MadvHugePage);
            Advise(address, length, Environment.SystemPageSize, MadvPopulateWrite);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Only a speed-up: without it the pages fault in one by one.
        }
        return array;
    }

    /// <summary>Gives the advice for the whole pages of <paramref name="pageSize"/> that lie inside the array.</summary>
    private static void Advise(nint address, int length, nint pageSize, int advice)
    {
        var start = (address + pageSize - 1) & ~(pageSize - 1);
        var end = (address + length) & ~(pageSize - 1);
        if (end > start)
            _ = Madvise(start, (nuint)(end - start), advice);
    }

    // DllImport rather than LibraryImport: the signature is blittable, and LibraryImport would need unsafe code.
    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(nint address, nuint length, int advice);
}
