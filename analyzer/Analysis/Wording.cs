using System.Globalization;

namespace DmarcAnalyzer.Analysis;

/// <summary>Counts and shares in English: "1 message", "2 messages", "no messages", and "under 0.1%" rather than "0%" for a few.</summary>
internal static class Wording
{
    public static string Count(long n, string singular, string? plural = null) =>
        n == 1 ? "1 " + singular : Number(n) + " " + (plural ?? singular + "s");

    public static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Messages(long n) => Count(n, "message");

    /// <summary>A share as a percentage with one decimal; a share above zero never reads as 0%, nor one below 1 as 100%.</summary>
    public static string Percent(double share) => share switch
    {
        > 0 and < 0.0005 => "under 0.1%",
        > 0.9995 and < 1 => "over 99.9%",
        _ => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%",
    };
}
