using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Xml;
using DmarcAnalyzer.Auth.Dmarc;

namespace DmarcAnalyzer.Filter.Outgoing;

/// <summary>An <see cref="OutgoingReport"/> as RFC 9990 XML (namespace urn:ietf:params:xml:ns:dmarc-2.0), plain or gzip-compressed.</summary>
internal static class AggregateReportXml
{
    public const string Namespace = "urn:ietf:params:xml:ns:dmarc-2.0";

    public static byte[] Gzip(OutgoingReport report)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
            Write(report, gzip);
        return buffer.ToArray();
    }

    /// <summary>Writes the report as UTF-8 without a byte order mark; elements in the order the RFC 9990 schema wants.</summary>
    public static void Write(OutgoingReport report, Stream output)
    {
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, IndentChars = "  ", NewLineChars = "\n" };
        using var xml = XmlWriter.Create(output, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("feedback", Namespace);
        xml.WriteElementString("version", Namespace, "1.0");

        xml.WriteStartElement("report_metadata", Namespace);
        xml.WriteElementString("org_name", Namespace, report.OrgName);
        xml.WriteElementString("email", Namespace, report.Email);
        if (report.ContactInfo is { Length: > 0 } contact)
            xml.WriteElementString("extra_contact_info", Namespace, contact);
        xml.WriteElementString("report_id", Namespace, report.ReportId);
        xml.WriteStartElement("date_range", Namespace);
        xml.WriteElementString("begin", Namespace, Seconds(report.Begin));
        xml.WriteElementString("end", Namespace, Seconds(report.End));
        xml.WriteEndElement();
        if (report.Error is { } error)
            xml.WriteElementString("error", Namespace, error);
        xml.WriteElementString("generator", Namespace, OutgoingReport.Generator);
        xml.WriteEndElement();

        WritePolicy(xml, report.Policy);
        foreach (var row in report.Rows)
            WriteRecord(xml, row);
        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static void WritePolicy(XmlWriter xml, PublishedPolicy policy)
    {
        xml.WriteStartElement("policy_published", Namespace);
        // In the order of RFC 9990's table (the schema takes any order). psd= has no element in RFC 9990.
        xml.WriteElementString("domain", Namespace, policy.Domain);
        xml.WriteElementString("discovery_method", Namespace, policy.Discovery == DmarcDiscoveryMode.PublicSuffixList ? "psl" : "treewalk");
        xml.WriteElementString("p", Namespace, policy.P);
        if (policy.Sp is { } sp)
            xml.WriteElementString("sp", Namespace, sp);
        if (policy.Np is { } np)
            xml.WriteElementString("np", Namespace, np);
        if (policy.Fo is { } fo)
            xml.WriteElementString("fo", Namespace, fo);
        xml.WriteElementString("adkim", Namespace, policy.StrictDkim ? "s" : "r");
        xml.WriteElementString("aspf", Namespace, policy.StrictSpf ? "s" : "r");
        xml.WriteElementString("testing", Namespace, policy.Testing ? "y" : "n");
        xml.WriteEndElement();
    }

    private static void WriteRecord(XmlWriter xml, ReportRow row)
    {
        var m = row.Sample;
        xml.WriteStartElement("record", Namespace);
        xml.WriteStartElement("row", Namespace);
        xml.WriteElementString("source_ip", Namespace, m.SourceIp);
        xml.WriteElementString("count", Namespace, row.Count.ToString(CultureInfo.InvariantCulture));
        xml.WriteStartElement("policy_evaluated", Namespace);
        xml.WriteElementString("disposition", Namespace, m.Disposition);
        xml.WriteElementString("dkim", Namespace, m.DkimAligned ? "pass" : "fail");
        xml.WriteElementString("spf", Namespace, m.SpfAligned ? "pass" : "fail");
        foreach (var reason in m.Reasons)
        {
            xml.WriteStartElement("reason", Namespace);
            xml.WriteElementString("type", Namespace, TypeName(reason.Type));
            if (reason.Comment is { Length: > 0 } comment)
                xml.WriteElementString("comment", Namespace, comment);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
        xml.WriteEndElement();

        xml.WriteStartElement("identifiers", Namespace);
        xml.WriteElementString("header_from", Namespace, m.HeaderFrom);
        if (m.EnvelopeFrom is { } envelopeFrom)
            xml.WriteElementString("envelope_from", Namespace, envelopeFrom);
        if (m.EnvelopeTo is { } envelopeTo)
            xml.WriteElementString("envelope_to", Namespace, envelopeTo);
        xml.WriteEndElement();

        xml.WriteStartElement("auth_results", Namespace);
        foreach (var dkim in m.Dkim)
        {
            xml.WriteStartElement("dkim", Namespace);
            xml.WriteElementString("domain", Namespace, dkim.Domain);
            xml.WriteElementString("selector", Namespace, dkim.Selector);
            xml.WriteElementString("result", Namespace, dkim.Result);
            if (dkim.HumanResult is { Length: > 0 } why)
                xml.WriteElementString("human_result", Namespace, why);
            xml.WriteEndElement();
        }
        if (m.Spf is { } spf)
        {
            xml.WriteStartElement("spf", Namespace);
            xml.WriteElementString("domain", Namespace, spf.Domain);
            // RFC 9990 knows only the mfrom scope; the HELO identity of a null sender is reported without one.
            if (spf.Scope == "mfrom")
                xml.WriteElementString("scope", Namespace, spf.Scope);
            xml.WriteElementString("result", Namespace, spf.Result);
            if (spf.HumanResult is { Length: > 0 } why)
                xml.WriteElementString("human_result", Namespace, why);
            xml.WriteEndElement();
        }
        xml.WriteEndElement();
        xml.WriteEndElement();
    }

    private static string TypeName(OverrideType type) => type switch
    {
        OverrideType.LocalPolicy => "local_policy",
        OverrideType.MailingList => "mailing_list",
        OverrideType.PolicyTestMode => "policy_test_mode",
        OverrideType.TrustedForwarder => "trusted_forwarder",
        _ => "other",
    };

    private static string Seconds(DateTimeOffset time) => time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}
