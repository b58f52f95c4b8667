using ScottPlot;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// The colours of a rendering. The palette is Okabe and Ito's, which stays apart for colour-blind readers and on dark
/// backgrounds; lines also differ by dash and marker, so they read in black-and-white print. The HTML report shows
/// the dark rendering when the reader's system asks for <c>prefers-color-scheme: dark</c>; mail and print use the light one.
/// </summary>
internal sealed record ChartTheme(Color Background, Color Text, Color Muted, Color Grid, Color Axis, Color Dkim, Color Dmarc)
{
    public static readonly ChartTheme Light = new(
        Color.FromHex("#ffffff"), Color.FromHex("#1b1b1b"), Color.FromHex("#555555"), Color.FromHex("#dddddd"), Color.FromHex("#444444"),
        Color.FromHex("#B8860B"), Color.FromHex("#0072B2"));

    public static readonly ChartTheme Dark = new(
        Color.FromHex("#1d1f21"), Color.FromHex("#e8e8e8"), Color.FromHex("#b0b0b0"), Color.FromHex("#3a3d40"), Color.FromHex("#bbbbbb"),
        Color.FromHex("#F0C24B"), Color.FromHex("#4FA3E0"));

    public Color Of(ChartColour colour) => colour switch
    {
        ChartColour.Aligned => Color.FromHex("#009E73"),
        ChartColour.Authorised => Color.FromHex("#E69F00"),
        ChartColour.Forwarded => Color.FromHex("#56B4E9"),
        ChartColour.KnownService => Color.FromHex("#CC79A7"),
        ChartColour.Unknown => Color.FromHex("#D55E00"),
        ChartColour.Volume => Color.FromHex("#0072B2"),
        ChartColour.Dmarc => Dmarc,
        ChartColour.Dkim => Dkim,
        ChartColour.Spf => Color.FromHex("#CC79A7"),
        _ => throw new ArgumentOutOfRangeException(nameof(colour)),
    };
}
