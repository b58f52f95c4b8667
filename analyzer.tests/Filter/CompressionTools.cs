using System.Diagnostics;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// The real compressors the archive tests check against: 7-Zip (Debian package 7zip, command 7zz), xz (package
/// xz-utils), Info-ZIP's zip (package zip) and Python's zipfile. A missing one fails the test with the package to install.
/// </summary>
internal static class CompressionTools
{
    private const string SevenZip = "/usr/bin/7zz";
    private const string Xz = "/usr/bin/xz";
    private const string Zip = "/usr/bin/zip";
    private const string Python = "/usr/bin/python3";

    /// <summary>A ZIP of <paramref name="files"/> made by Info-ZIP's zip with <paramref name="switches"/> (e.g. -P SECRET).</summary>
    public static async Task<byte[]> ZipAsync(IEnumerable<(string Name, byte[] Content)> files, params string[] switches)
    {
        if (!File.Exists(Zip))
            Assert.Fail($"{Zip} is missing: install the Debian package zip (test.sh does)");
        using var folder = new TempFolder();
        var names = new List<string>();
        foreach (var (name, content) in files)
        {
            await File.WriteAllBytesAsync(folder.File(name), content, TestContext.Current.CancellationToken);
            names.Add(name);
        }
        await RunAsync(Zip, ["-q", .. switches, folder.File("out.zip"), .. names], folder.Path, null);
        return await File.ReadAllBytesAsync(folder.File("out.zip"), TestContext.Current.CancellationToken);
    }

    /// <summary>What the Python <paramref name="script"/> writes to its standard output, given <paramref name="input"/> on its standard input.</summary>
    public static async Task<byte[]> PythonAsync(string script, byte[] input)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing: install the Debian package python3 (test.sh's python3-dkim brings it)");
        return await RunAsync(Python, ["-c", script], Path.GetTempPath(), input);
    }

    /// <summary>A 7z archive of <paramref name="files"/> made by 7-Zip with <paramref name="switches"/> (e.g. -pSECRET).</summary>
    public static async Task<byte[]> SevenZipAsync(IEnumerable<(string Name, byte[] Content)> files, params string[] switches)
    {
        if (!File.Exists(SevenZip))
            Assert.Fail($"{SevenZip} is missing: install the Debian package 7zip (test.sh does)");
        using var folder = new TempFolder();
        var names = new List<string>();
        foreach (var (name, content) in files)
        {
            await File.WriteAllBytesAsync(folder.File(name), content, TestContext.Current.CancellationToken);
            names.Add(name);
        }
        await RunAsync(SevenZip, ["a", "-bd", "-y", .. switches, "--", folder.File("out.7z"), .. names], folder.Path, null);
        return await File.ReadAllBytesAsync(folder.File("out.7z"), TestContext.Current.CancellationToken);
    }

    /// <summary><paramref name="input"/> through xz with <paramref name="arguments"/> (e.g. --format=lzma).</summary>
    public static async Task<byte[]> XzAsync(byte[] input, params string[] arguments)
    {
        if (!File.Exists(Xz))
            Assert.Fail($"{Xz} is missing: install the Debian package xz-utils (test.sh does)");
        return await RunAsync(Xz, ["-c", .. arguments], Path.GetTempPath(), input);
    }

    private static async Task<byte[]> RunAsync(string program, string[] arguments, string folder, byte[]? input)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output, timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (input is not null)
                await process.StandardInput.BaseStream.WriteAsync(input, timeout.Token);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program stopped reading (a bad option, say): its exit code and message tell why.
        }
        await copy;
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            Assert.Fail($"{program} exited {process.ExitCode}: {await error}");
        return output.ToArray();
    }
}
