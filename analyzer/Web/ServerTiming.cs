using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace DmarcAnalyzer.Web;

/// <summary>
/// The Server-Timing header (W3C Server Timing): the page's whole time as <c>app</c>, and the parts a page measures
/// (the analysis, the charts), for bench/serve and the browser's developer tools.
/// </summary>
internal static class ServerTiming
{
    private const string Item = "dmarc.timing";

    /// <summary>Starts the clock of a request; the header is written when the response starts.</summary>
    public static void Start(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        context.Response.OnStarting(() =>
        {
            var header = new StringBuilder("app;dur=").Append(Ms(Stopwatch.GetElapsedTime(started)));
            if (context.Items[Item] is List<(string Name, TimeSpan Duration)> parts)
                foreach (var (name, duration) in parts)
                    header.Append(", ").Append(name).Append(";dur=").Append(Ms(duration));
            context.Response.Headers["Server-Timing"] = header.ToString();
            return Task.CompletedTask;
        });
    }

    public static async Task<T> MeasureAsync<T>(HttpContext context, string name, Func<Task<T>> work)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await work();
        Add(context, name, Stopwatch.GetElapsedTime(started));
        return result;
    }

    public static T Measure<T>(HttpContext context, string name, Func<T> work)
    {
        var started = Stopwatch.GetTimestamp();
        var result = work();
        Add(context, name, Stopwatch.GetElapsedTime(started));
        return result;
    }

    private static void Add(HttpContext context, string name, TimeSpan duration)
    {
        if (context.Items[Item] is not List<(string, TimeSpan)> parts)
            context.Items[Item] = parts = [];
        parts.Add((name, duration));
    }

    private static string Ms(TimeSpan duration) => duration.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture);
}
