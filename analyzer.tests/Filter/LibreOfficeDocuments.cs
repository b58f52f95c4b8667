using System.Diagnostics;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>
/// Word and Excel 97-2003 files written by a real LibreOffice (headless, through Python-UNO), each plain and with a
/// password, and a plain PowerPoint 97-2003 file (LibreOffice does not encrypt that one). Needs the Debian packages
/// libreoffice-writer-nogui, libreoffice-calc-nogui, libreoffice-impress-nogui and python3-uno.
/// </summary>
public sealed class LibreOfficeDocuments : IAsyncLifetime
{
    private const string Script = """
        import os, subprocess, sys, time, uno
        from com.sun.star.beans import PropertyValue

        def prop(name, value):
            p = PropertyValue()
            p.Name, p.Value = name, value
            return p

        folder, pipe = sys.argv[1], sys.argv[2]
        office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
            "-env:UserInstallation=" + uno.systemPathToFileUrl(os.path.join(folder, "profile")),
            "--accept=pipe,name=" + pipe + ";urp;"])
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for attempt in range(600):
            try:
                context = resolver.resolve("uno:pipe,name=" + pipe + ";urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.1)
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        for factory, filter_name, extension, passwords in [("swriter", "MS Word 97", "doc", ["", "secret"]),
                ("scalc", "MS Excel 97", "xls", ["", "secret"]), ("simpress", "MS PowerPoint 97", "ppt", [""])]:
            for password in passwords:
                document = desktop.loadComponentFromURL("private:factory/" + factory, "_blank", 0, (prop("Hidden", True),))
                properties = [prop("FilterName", filter_name)] + ([prop("Password", password)] if password else [])
                name = ("encrypted." if password else "plain.") + extension
                document.storeToURL(uno.systemPathToFileUrl(os.path.join(folder, name)), tuple(properties))
                document.close(True)
        try:
            desktop.terminate()
        except Exception:
            pass
        office.wait(timeout=30)
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("dmarc-office-").FullName;

    public byte[] Read(string name) => File.ReadAllBytes(Path.Combine(_folder, name));

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists("/usr/bin/soffice") || !File.Exists("/usr/bin/python3"))
            throw new InvalidOperationException("LibreOffice is missing: install libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui python3-uno");
        var script = Path.Combine(_folder, "write.py");
        await File.WriteAllTextAsync(script, Script);
        // Debian's python3 carries the uno module; a python3 earlier on the PATH may not.
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(_folder);
        start.ArgumentList.Add($"dmarc-office-{Environment.ProcessId}");
        start.Environment["HOME"] = _folder;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("LibreOffice did not write the test documents within 120 s");
        }
        if (process.ExitCode != 0 || !File.Exists(Path.Combine(_folder, "plain.ppt")))
            throw new InvalidOperationException($"LibreOffice failed ({process.ExitCode}): {await output} {await errors}");
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}
