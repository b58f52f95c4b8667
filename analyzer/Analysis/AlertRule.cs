using DmarcAnalyzer.Reports;

namespace DmarcAnalyzer.Analysis;

/// <summary>What an alert is about; <see cref="AlertRules.Name"/> gives the word <c>dmarc alert</c> prints.</summary>
internal enum AlertRule { NewSource, PassRateDrop, RecordChanged, ExceptionExpiring, Silence, TlsFailures }

/// <summary>
/// One alert that fires: <see cref="Key"/> tells apart alerts of the same rule and domain (the source address, the
/// exception), so each fires once and again only after it has cleared.
/// </summary>
internal sealed record Alert(AlertRule Rule, string Domain, string Key, string Text)
{
    /// <summary>The contract line: <c>alert: RULE DOMAIN: text</c>, one line whatever a report put in the domain or text.</summary>
    public string Line => $"alert: {AlertRules.Name(Rule)} {SafeText.Line(Domain)}: {SafeText.Line(Text, 1000)}";
}

/// <summary>An encrypted-archive exception as the alert rules see it (the filter's configuration binds it).</summary>
internal sealed record ExpiringException(string Sender, string? Recipient, DateOnly Expires);
