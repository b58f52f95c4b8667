using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>
/// The <c>Reports:Outgoing</c> configuration: off until <c>Enabled</c> is true; <c>OrgName</c> and <c>Email</c> (our
/// report_metadata, and the mail's From) are then required, <c>ContactInfo</c> is optional. <c>Exclude</c> lists domains
/// that never get a report, <c>OwnDomains</c> our own domains (with the Email's domain, and their subdomains); neither
/// does. <see cref="Receiver"/> is the Email's domain.
/// </summary>
internal sealed record OutgoingReportSettings(
    bool Enabled, string OrgName, string Email, string? ContactInfo, IReadOnlyList<string> Exclude, IReadOnlyList<string> OwnDomains)
{
    public string Receiver => Email[(Email.LastIndexOf('@') + 1)..].ToLowerInvariant();

    public static OutgoingReportSettings FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Reports:Outgoing");
        var enabled = string.Equals(section["Enabled"], "true", StringComparison.OrdinalIgnoreCase);
        var org = section["OrgName"];
        var email = section["Email"];
        if (enabled && string.IsNullOrWhiteSpace(org))
            throw new InvalidOperationException("Reports:Outgoing:OrgName is not configured");
        if (enabled && (email is null || email.LastIndexOf('@') is var at && (at <= 0 || at == email.Length - 1)))
            throw new InvalidOperationException("Reports:Outgoing:Email must be an address (the reports' From and report_metadata/email)");
        return new OutgoingReportSettings(enabled, org ?? "", email ?? "", section["ContactInfo"], List(section, "Exclude"), List(section, "OwnDomains"));
    }

    /// <summary>Whether <paramref name="domain"/> gets no report: ours, or on the never-report list (a listed domain covers its subdomains).</summary>
    public bool Excludes(string domain) =>
        Exclude.Concat(OwnDomains).Append(Receiver).Any(listed =>
            domain.Equals(listed, StringComparison.OrdinalIgnoreCase) || domain.EndsWith("." + listed.TrimStart('.'), StringComparison.OrdinalIgnoreCase));

    private static IReadOnlyList<string> List(IConfigurationSection section, string name) =>
        section.GetSection(name).GetChildren().Select(c => c.Value?.Trim().TrimEnd('.')).OfType<string>().Where(v => v.Length > 0).ToList();
}
