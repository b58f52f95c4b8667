using DmarcAnalyzer.Analysis;

namespace DmarcAnalyzer.Charts;

/// <summary>
/// Colours and CSS shared by the charts and the page. The palette is Okabe and Ito's, which stays apart
/// for colour-blind readers and on dark backgrounds; lines also differ by dash and marker, so they read
/// in black-and-white print. Dark mode follows <c>prefers-color-scheme</c>; print forces the light scheme.
/// </summary>
internal static class ChartStyle
{
    public static string ClassCss(SenderClass c) => c switch
    {
        SenderClass.Aligned => "k-aligned",
        SenderClass.AuthorisedFailing => "k-authorised",
        SenderClass.Forwarded => "k-forwarded",
        SenderClass.KnownService => "k-service",
        SenderClass.UnknownFailing => "k-unknown",
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    public const string SvgCss = """
        .bg{fill:#ffffff}
        text{fill:#1b1b1b;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;font-size:13px}
        .title{font-size:16px;font-weight:bold}
        .muted{fill:#555555}
        .axis{stroke:#444444;stroke-width:1}
        .grid{stroke:#dddddd;stroke-width:1}
        .k-aligned{fill:#009E73}
        .k-authorised{fill:#E69F00}
        .k-forwarded{fill:#56B4E9}
        .k-service{fill:#CC79A7}
        .k-unknown{fill:#D55E00}
        .k-volume{fill:#0072B2}
        .l-dmarc{stroke:#0072B2;fill:none;stroke-width:2.5}
        .l-dkim{stroke:#B8860B;fill:none;stroke-width:2.5;stroke-dasharray:8 4}
        .l-spf{stroke:#CC79A7;fill:none;stroke-width:2.5;stroke-dasharray:2 3}
        .m-dmarc{fill:#0072B2}
        .m-dkim{fill:#B8860B}
        .m-spf{fill:#CC79A7}
        @media (prefers-color-scheme: dark){
          .bg{fill:#1d1f21}
          text{fill:#e8e8e8}
          .muted{fill:#b0b0b0}
          .axis{stroke:#bbbbbb}
          .grid{stroke:#3a3d40}
          .l-dkim{stroke:#F0C24B}
          .m-dkim{fill:#F0C24B}
          .l-dmarc{stroke:#4FA3E0}
          .m-dmarc{fill:#4FA3E0}
        }
        @media print{
          .bg{fill:#ffffff}
          text{fill:#000000}
          .muted{fill:#333333}
          .axis{stroke:#000000}
          .grid{stroke:#cccccc}
        }
        """;
}
