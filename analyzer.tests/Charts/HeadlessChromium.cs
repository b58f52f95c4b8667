using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace DmarcAnalyzer.Tests.Charts;

/// <summary>
/// Debian's Chromium, headless, looking at a page through an iframe of a given width: Chromium's window is never narrower
/// than 500 px, a phone's viewport is, and the iframe's width is what the page's media queries see. It measures the page's
/// width, the smallest chart text as drawn (SVG charts) and how far the page shrinks its images (PNG charts), and takes
/// screenshots.
/// </summary>
internal static partial class HeadlessChromium
{
    public const string Executable = "/usr/bin/chromium";

    /// <summary><paramref name="SmallestImageScale"/>: the least any image is drawn at, as a share of its width attribute (1 without images).</summary>
    public sealed record Measure(int Viewport, int PageWidth, double SmallestChartFont, double SmallestImageScale);

    /// <summary>Skips the test when Chromium is not installed (test.sh installs it).</summary>
    public static void Require()
    {
        if (!File.Exists(Executable))
            Assert.Skip($"{Executable} not found: install Debian's chromium (test.sh does)");
    }

    public static async Task<Measure> MeasureAsync(string page, int width, string folder)
    {
        var frame = Frame(page, width, folder);
        var dom = await RunAsync(folder, Math.Max(width, 500), 900, "--dump-dom", new Uri(frame).AbsoluteUri);
        var m = MeasureLine().Match(dom);
        Assert.True(m.Success, "the page was not measured: " + dom[..Math.Min(dom.Length, 500)]);
        return new Measure(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture));
    }

    public static async Task ScreenshotAsync(string page, int width, int height, string png, string folder)
    {
        var frame = Frame(page, width, folder, height);
        await RunAsync(folder, Math.Max(width, 500), height, "--screenshot=" + png, new Uri(frame).AbsoluteUri);
    }

    private static string Frame(string page, int width, string folder, int height = 900)
    {
        var frame = Path.Combine(folder, $"frame-{width}.html");
        File.WriteAllText(frame, $$"""
            <!DOCTYPE html><html><head><style>body{margin:0}iframe{border:0;width:{{width}}px;height:{{height}}px}</style></head>
            <body><iframe src="{{new Uri(page).AbsoluteUri}}"></iframe><script>
            var f = document.querySelector('iframe');
            f.onload = function () {
              var d = f.contentDocument, w = f.contentWindow, smallest = 1000, images = 1;
              d.querySelectorAll('figure svg').forEach(function (s) {
                var box = s.viewBox && s.viewBox.baseVal;
                var scale = s.getBoundingClientRect().width / ((box && box.width) || parseFloat(s.getAttribute('width')));
                s.querySelectorAll('text').forEach(function (t) { smallest = Math.min(smallest, parseFloat(w.getComputedStyle(t).fontSize) * scale); });
              });
              d.querySelectorAll('img[width]').forEach(function (i) {
                images = Math.min(images, i.getBoundingClientRect().width / parseFloat(i.getAttribute('width')));
              });
              var p = document.createElement('p');
              p.id = 'measure';
              p.textContent = 'viewport=' + w.innerWidth + ' width=' + d.documentElement.scrollWidth + ' font=' + smallest.toFixed(1) +
                ' image=' + images.toFixed(3);
              document.body.appendChild(p);
            };
            </script></body></html>
            """);
        return frame;
    }

    private static async Task<string> RunAsync(string folder, int windowWidth, int windowHeight, params string[] args)
    {
        var info = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--allow-file-access-from-files",
                     "--user-data-dir=" + Path.Combine(folder, "chromium-profile"), $"--window-size={windowWidth},{windowHeight}", .. args])
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await stderr;
        return await stdout;
    }

    [GeneratedRegex(@"id=""measure"">viewport=(\d+) width=(\d+) font=([\d.]+) image=([\d.]+)<")]
    private static partial Regex MeasureLine();
}
