using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Charts;

/// <summary>What a series means; <see cref="ChartTheme"/> gives each meaning its colour.</summary>
internal enum ChartColour { Aligned, Authorised, Forwarded, KnownService, Unknown, Volume, Dmarc, Dkim, Spf }

internal static class ChartColours
{
    public static ChartColour Of(SenderClass c) => c switch
    {
        SenderClass.Aligned => ChartColour.Aligned,
        SenderClass.AuthorisedFailing => ChartColour.Authorised,
        SenderClass.Forwarded => ChartColour.Forwarded,
        SenderClass.KnownService => ChartColour.KnownService,
        SenderClass.UnknownFailing => ChartColour.Unknown,
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };
}
