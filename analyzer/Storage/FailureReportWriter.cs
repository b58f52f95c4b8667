using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Failure;
using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Stores a DMARC failure report with its raw bytes in one transaction. Its identity is the hash of its bytes without
/// transport header fields: the same report again is a duplicate that changes nothing.
/// </summary>
internal static class FailureReportWriter
{
    /// <returns>True when stored, false when the store already had it.</returns>
    public static async Task<bool> AddAsync(DbConnection connection, FailureReport report, ReadOnlyMemory<byte> raw, string source,
        ReportAuthentication auth, CancellationToken ct, Action? beforeCommit = null)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO failure_reports (identity, arrival_utc, report_date_utc, reporting_domain, feedback_type, user_agent, version,
                reported_domain, source_ip, auth_failure, identity_alignment, delivery_result, dkim_domain, dkim_selector, spf_dns,
                original_mail_from, original_rcpt_to, arrival_date, header_from, header_to, subject, header_date, message_id,
                authentication_results, source, ingested_utc, raw_gzip, auth, auth_domains, mail_from_domain)
            VALUES (@identity, @arrival, @reportDate, @reporting, @type, @agent, @version, @reported, @ip, @auth, @alignment, @delivery,
                @dkimDomain, @dkimSelector, @spfDns, @mailFrom, @rcptTo, @arrivalDate, @from, @to, @subject, @date, @messageId,
                @authResults, @source, @now, @raw, @mailAuth, @authDomains, @fromDomain)
            ON CONFLICT DO NOTHING
            """;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var o = report.Original;
        Sql.Add(insert, "@identity", report.Identity);
        Sql.Add(insert, "@arrival", report.Arrival?.ToUnixTimeSeconds() ?? now);
        Sql.Add(insert, "@reportDate", report.ReportDate?.ToUnixTimeSeconds());
        Sql.Add(insert, "@reporting", report.ReportingDomain);
        Sql.Add(insert, "@type", report.FeedbackType);
        Sql.Add(insert, "@agent", report.UserAgent);
        Sql.Add(insert, "@version", report.Version);
        Sql.Add(insert, "@reported", report.ReportedDomain);
        Sql.Add(insert, "@ip", report.SourceIp);
        Sql.Add(insert, "@auth", report.AuthFailure);
        Sql.Add(insert, "@alignment", report.IdentityAlignment);
        Sql.Add(insert, "@delivery", report.DeliveryResult);
        Sql.Add(insert, "@dkimDomain", report.DkimDomain);
        Sql.Add(insert, "@dkimSelector", report.DkimSelector);
        Sql.Add(insert, "@spfDns", report.SpfDns);
        Sql.Add(insert, "@mailFrom", report.OriginalMailFrom);
        Sql.Add(insert, "@rcptTo", report.OriginalRcptTo);
        Sql.Add(insert, "@arrivalDate", report.ArrivalDate);
        Sql.Add(insert, "@from", o.From);
        Sql.Add(insert, "@to", o.To);
        Sql.Add(insert, "@subject", o.Subject);
        Sql.Add(insert, "@date", o.Date);
        Sql.Add(insert, "@messageId", o.MessageId);
        Sql.Add(insert, "@authResults", o.AuthenticationResults);
        Sql.Add(insert, "@source", source);
        Sql.Add(insert, "@now", now);
        Sql.Add(insert, "@raw", RawGzip.Compress(raw.Span));
        Sql.Add(insert, "@mailAuth", ReportAuthentication.Word(auth.Verdict));
        Sql.Add(insert, "@authDomains", auth.DomainsText);
        Sql.Add(insert, "@fromDomain", auth.FromDomain);
        if (await insert.ExecuteNonQueryAsync(ct) == 0)
            return false;
        beforeCommit?.Invoke();
        await transaction.CommitAsync(ct);
        return true;
    }
}
