using System.Text;

namespace DmarcAnalyzer.Tests.Reports;

/// <summary>Builds small aggregate reports for tests.</summary>
internal static class ReportXml
{
    public static string Report(string reportId = "r-1", int records = 1, string org = "Reporter", string ns = "",
        long begin = 1_700_000_000, string domain = "example.com")
    {
        var xml = new StringBuilder();
        xml.Append($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><feedback{(ns.Length > 0 ? $" xmlns=\"{ns}\"" : "")}>");
        xml.Append($"<report_metadata><org_name>{org}</org_name><email>dmarc@reporter.example</email><report_id>{reportId}</report_id>");
        xml.Append($"<date_range><begin>{begin}</begin><end>{begin + 86399}</end></date_range></report_metadata>");
        xml.Append($"<policy_published><domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>none</p></policy_published>");
        for (var i = 0; i < records; i++)
            xml.Append($"<record><row><source_ip>192.0.2.{i % 250 + 1}</source_ip><count>{i + 1}</count>")
               .Append("<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>")
               .Append($"<identifiers><header_from>{domain}</header_from></identifiers>")
               .Append($"<auth_results><dkim><domain>{domain}</domain><selector>s1</selector><result>pass</result></dkim>")
               .Append($"<spf><domain>{domain}</domain><result>fail</result></spf></auth_results></record>");
        xml.Append("</feedback>");
        return xml.ToString();
    }

    public static byte[] Bytes(string xml) => Encoding.UTF8.GetBytes(xml);
}
