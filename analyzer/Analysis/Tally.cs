using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Analysis;

/// <summary>Message counts of one slice of the data (a day, a week, a sender) and the rates derived from them.</summary>
internal sealed class Tally
{
    private readonly long[] _byClass = new long[SenderClasses.All.Count];

    public long Volume { get; private set; }

    /// <summary>Messages that passed DMARC: aligned DKIM or aligned SPF passed.</summary>
    public long DmarcPass { get; private set; }

    public long DkimAligned { get; private set; }

    public long SpfAligned { get; private set; }

    /// <summary>Forwarded messages the receiver accepted on the strength of an ARC chain: p=reject does not lose them there.</summary>
    public long ArcAccepted { get; private set; }

    public long Of(SenderClass c) => _byClass[(int)c];

    /// <summary>Messages that failed DMARC.</summary>
    public long Failing => Volume - DmarcPass;

    /// <summary>Everything but unknown failing: the mail the domain's owner wants delivered.</summary>
    public long Legitimate => Volume - Of(SenderClass.UnknownFailing);

    public double? DmarcPassRate => Rate(DmarcPass);

    public double? DkimAlignedRate => Rate(DkimAligned);

    public double? SpfAlignedRate => Rate(SpfAligned);

    /// <remarks>Every sum saturates (<see cref="ReportCount"/>): the counts are what reporters claim.</remarks>
    public void Add(SenderClass c, bool dkimAligned, bool spfAligned, long count, bool arcAccepted = false)
    {
        Volume = ReportCount.Add(Volume, count);
        if (arcAccepted && c == SenderClass.Forwarded)
            ArcAccepted = ReportCount.Add(ArcAccepted, count);
        _byClass[(int)c] = ReportCount.Add(_byClass[(int)c], count);
        if (c == SenderClass.Aligned)
            DmarcPass = ReportCount.Add(DmarcPass, count);
        if (dkimAligned)
            DkimAligned = ReportCount.Add(DkimAligned, count);
        if (spfAligned)
            SpfAligned = ReportCount.Add(SpfAligned, count);
    }

    public void Add(Tally other)
    {
        Volume = ReportCount.Add(Volume, other.Volume);
        DmarcPass = ReportCount.Add(DmarcPass, other.DmarcPass);
        DkimAligned = ReportCount.Add(DkimAligned, other.DkimAligned);
        SpfAligned = ReportCount.Add(SpfAligned, other.SpfAligned);
        ArcAccepted = ReportCount.Add(ArcAccepted, other.ArcAccepted);
        for (var i = 0; i < _byClass.Length; i++)
            _byClass[i] = ReportCount.Add(_byClass[i], other._byClass[i]);
    }

    /// <summary>A share of the volume, or null when there is no volume (never NaN).</summary>
    private double? Rate(long part) => Volume == 0 ? null : (double)part / Volume;
}
