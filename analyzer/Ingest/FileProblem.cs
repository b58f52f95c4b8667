using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DmarcAnalyzer.Ingest;

/// <summary>What keeps a file or folder named for ingest from being read, said in a failure's reason.</summary>
internal static class FileProblem
{
    /// <summary>The reason for an error of the file system, in our words: .NET's texts name no cause a person can act on.</summary>
    public static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "it does not exist (removed meanwhile, or a link to nothing)",
        UnauthorizedAccessException => "permission denied",
        PathTooLongException => "its path is too long",
        _ => "an input/output error (a symbolic link loop, a failing disk?)",
    };

    /// <summary>
    /// True for a named pipe (or a terminal): open(2) of a pipe waits for a writer, for ever in a folder of reports, so
    /// it is never opened as an input. Told by opening it non-blocking (which changes nothing for other files) and
    /// asking whether it seeks; only an empty file can be one, so a report costs no more than the stat of its length.
    /// </summary>
    public static bool IsPipe(string path)
    {
        if (!OperatingSystem.IsLinux() || new FileInfo(path).Length != 0)
            return false;
        var fd = Open(path, ReadOnlyNonBlocking);
        if (fd < 0)
            return false;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        return !stream.CanSeek;
    }

    /// <summary>O_RDONLY | O_NONBLOCK | O_CLOEXEC, as Linux numbers them on x86-64 and arm64.</summary>
    private const int ReadOnlyNonBlocking = 0x800 | 0x80000;

    // DllImport rather than LibraryImport, as in PrefaultedArray; the path is marshalled as UTF-8, as Linux takes it.
    [DllImport("libc", EntryPoint = "open")]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
