using System.Diagnostics;

namespace DmarcAnalyzer.Tests.Cli;

/// <summary>Runs the built <c>dmarc</c> program as a user would, and captures what it prints.</summary>
internal static class DmarcProcess
{
    internal sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string LastLine => Stdout.TrimEnd().Split('\n').Last().TrimEnd('\r');
    }

    private static readonly string Program = Path.Combine(AppContext.BaseDirectory, "dmarc.dll");

    public static ProcessStartInfo StartInfo(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Program);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment.Remove("DMARC_CONFIG");
        return info;
    }

    public static async Task<Result> RunAsync(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
