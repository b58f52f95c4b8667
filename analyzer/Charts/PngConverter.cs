using System.Diagnostics;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// Converts the chart SVGs to PNG next to them with <c>rsvg-convert</c> (Debian librsvg2-bin), which
/// renders the light scheme. Missing tool and failed conversions are reported, never thrown.
/// </summary>
internal static class PngConverter
{
    public const string Tool = "rsvg-convert";
    private static readonly TimeSpan PerFile = TimeSpan.FromSeconds(30);

    public sealed record Result(IReadOnlyList<string> Written, IReadOnlyList<string> Errors);

    public static string? FindTool() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, Tool))
            .FirstOrDefault(File.Exists);

    public static async Task<Result> ConvertAsync(IReadOnlyList<string> svgPaths, CancellationToken ct)
    {
        var tool = FindTool();
        if (tool is null)
            return new Result([], [$"{Tool} is not installed (Debian package librsvg2-bin): no PNG files were written"]);
        var written = new List<string>();
        var errors = new List<string>();
        foreach (var svg in svgPaths)
        {
            var png = Path.ChangeExtension(svg, ".png");
            var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "--zoom", "2", "--background-color", "white", "--format", "png", "--output", png, svg })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(PerFile);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Stopped by the user or the per-file timeout: the converter does not outlive us.
                process.Kill(entireProcessTree: true);
                await Task.WhenAny(stderr);
                ct.ThrowIfCancellationRequested();
                errors.Add($"{Tool} took longer than {PerFile.TotalSeconds:0} s on {svg}");
                continue;
            }
            if (process.ExitCode == 0)
                written.Add(png);
            else
                errors.Add($"{Tool} failed on {svg}: {(await stderr).Trim()}");
        }
        return new Result(written, errors);
    }
}
