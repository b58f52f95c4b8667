using DmarcAnalyzer.Reports;
using DmarcAnalyzer.Reports.Tls;
using System.Data.Common;

namespace DmarcAnalyzer.Storage;

/// <summary>
/// Stores an SMTP TLS report, its policies and failure details, and its raw bytes in one transaction. Its identity is
/// (organization, report id): the same report again is a duplicate that changes nothing.
/// </summary>
internal static class TlsReportWriter
{
    /// <returns>True when stored, false when the store already had it.</returns>
    public static async Task<bool> AddAsync(DbConnection connection, TlsReport report, ReadOnlyMemory<byte> raw, string source,
        ReportAuthentication auth, CancellationToken ct, Action? beforeCommit = null)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO tls_reports (organization_name, report_id, begin_utc, end_utc, contact_info, source, ingested_utc, raw_gzip,
                auth, auth_domains, mail_from_domain)
            VALUES (@org, @rid, @begin, @end, @contact, @source, @now, @raw, @auth, @authDomains, @fromDomain)
            ON CONFLICT DO NOTHING
            RETURNING id
            """;
        Sql.Add(insert, "@org", report.OrganizationName);
        Sql.Add(insert, "@rid", report.ReportId);
        Sql.Add(insert, "@begin", report.Begin.ToUnixTimeSeconds());
        Sql.Add(insert, "@end", report.End.ToUnixTimeSeconds());
        Sql.Add(insert, "@contact", report.ContactInfo);
        Sql.Add(insert, "@source", source);
        Sql.Add(insert, "@now", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Sql.Add(insert, "@raw", RawGzip.Compress(raw.Span));
        Sql.Add(insert, "@auth", ReportAuthentication.Word(auth.Verdict));
        Sql.Add(insert, "@authDomains", auth.DomainsText);
        Sql.Add(insert, "@fromDomain", auth.FromDomain);
        if (await insert.ExecuteScalarAsync(ct) is not long reportId)
            return false;

        await using var policy = connection.CreateCommand();
        policy.Transaction = transaction;
        policy.CommandText = """
            INSERT INTO tls_policies (report, position, policy_type, policy_string, policy_domain, mx_host, successful_sessions, failed_sessions)
            VALUES (@report, @position, @type, @string, @domain, @mx, @success, @failure)
            RETURNING id
            """;
        await using var detail = connection.CreateCommand();
        detail.Transaction = transaction;
        detail.CommandText = """
            INSERT INTO tls_failure_details (policy, result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip,
                failed_sessions, additional_information, failure_reason_code)
            VALUES (@policy, @result, @sending, @mx, @helo, @receiving, @failed, @info, @code)
            """;
        for (var i = 0; i < report.Policies.Count; i++)
        {
            var p = report.Policies[i];
            policy.Parameters.Clear();
            Sql.Add(policy, "@report", reportId);
            Sql.Add(policy, "@position", i);
            Sql.Add(policy, "@type", p.PolicyTypeText);
            Sql.Add(policy, "@string", p.PolicyStrings.Count == 0 ? null : string.Join('\n', p.PolicyStrings));
            Sql.Add(policy, "@domain", p.PolicyDomain);
            Sql.Add(policy, "@mx", p.MxHosts.Count == 0 ? null : string.Join('\n', p.MxHosts));
            Sql.Add(policy, "@success", p.SuccessfulSessions);
            Sql.Add(policy, "@failure", p.FailedSessions);
            var policyId = (long)(await policy.ExecuteScalarAsync(ct))!;
            foreach (var d in p.FailureDetails)
            {
                ct.ThrowIfCancellationRequested();
                detail.Parameters.Clear();
                Sql.Add(detail, "@policy", policyId);
                Sql.Add(detail, "@result", d.ResultTypeText);
                Sql.Add(detail, "@sending", d.SendingMtaIp);
                Sql.Add(detail, "@mx", d.ReceivingMxHostname);
                Sql.Add(detail, "@helo", d.ReceivingMxHelo);
                Sql.Add(detail, "@receiving", d.ReceivingIp);
                Sql.Add(detail, "@failed", d.FailedSessions);
                Sql.Add(detail, "@info", d.AdditionalInformation);
                Sql.Add(detail, "@code", d.FailureReasonCode);
                await detail.ExecuteNonQueryAsync(ct);
            }
        }
        beforeCommit?.Invoke();
        await transaction.CommitAsync(ct);
        return true;
    }
}
