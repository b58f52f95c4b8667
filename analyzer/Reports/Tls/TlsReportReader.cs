using System.Globalization;
using System.Text.Json;

namespace DmarcAnalyzer.Reports.Tls;

/// <summary>
/// Reads an SMTP TLS report (RFC 8460 section 4) from UTF-8 JSON with <see cref="Utf8JsonReader"/>, token by token,
/// within <see cref="TlsReadLimits"/>. Tolerant where real senders differ from the RFC (counts as strings, a
/// policy-string that is one string, upper-case names, unknown members and types); strict where nothing would be
/// left to store (no organization, report-id or date-range). What is wrong is a <see cref="ReportFormatException"/>.
/// </summary>
internal static class TlsReportReader
{
    public static TlsReport Read(ReadOnlySpan<byte> json, TlsReadLimits limits)
    {
        if (json.StartsWith("\uFEFF"u8))
            json = json[3..];
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            MaxDepth = limits.MaxDepth,
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        try
        {
            var counts = new Counts(limits);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new ReportFormatException("the SMTP TLS report is not a JSON object (RFC 8460 section 4.4)");
            return ReadReport(ref reader, counts);
        }
        catch (JsonException e)
        {
            throw new ReportFormatException(
                $"the SMTP TLS report is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {JsonProblem(e)}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ReportFormatException($"the SMTP TLS report is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>System.Text.Json's message without its own position suffix (given above in our words).</summary>
    private static string JsonProblem(JsonException e)
    {
        var text = e.Message;
        var cut = text.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? text[..cut] : text).Trim();
    }

    private sealed class Counts(TlsReadLimits limits)
    {
        public TlsReadLimits Limits { get; } = limits;
        public int Policies;
        public int Details;
    }

    private static TlsReport ReadReport(ref Utf8JsonReader reader, Counts counts)
    {
        string? org = null, contact = null, reportId = null;
        DateTimeOffset? begin = null, end = null;
        List<TlsPolicyResult>? policies = null;
        while (NextMember(ref reader) is { } name)
        {
            switch (name)
            {
                case "organization-name":
                    org = String(ref reader, counts, name);
                    break;
                case "contact-info":
                    contact = String(ref reader, counts, name);
                    break;
                case "report-id":
                    reportId = String(ref reader, counts, name);
                    break;
                case "date-range":
                    (begin, end) = ReadDateRange(ref reader, counts);
                    break;
                case "policies":
                    policies = ReadPolicies(ref reader, counts);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        // Syntax before meaning: content after the report's object is a JsonException here (one value per document).
        reader.Read();
        if (org is null && reportId is null && begin is null && policies is null)
            throw new ReportFormatException(
                "JSON, but not an SMTP TLS report: none of organization-name, report-id, date-range and policies is in it (RFC 8460 section 4.4)");
        if (string.IsNullOrWhiteSpace(org))
            throw new ReportFormatException("the SMTP TLS report has no organization-name (RFC 8460 section 4.4)");
        if (string.IsNullOrWhiteSpace(reportId))
            throw new ReportFormatException("the SMTP TLS report has no report-id (RFC 8460 section 4.4)");
        if (begin is null || end is null)
            throw new ReportFormatException("the SMTP TLS report has no date-range with start-datetime and end-datetime (RFC 8460 section 4.4)");
        if (policies is null)
            throw new ReportFormatException("the SMTP TLS report has no policies (RFC 8460 section 4.4)");
        return new TlsReport(org.Trim(), begin.Value, end.Value, string.IsNullOrWhiteSpace(contact) ? null : contact.Trim(), reportId.Trim(), policies);
    }

    private static (DateTimeOffset?, DateTimeOffset?) ReadDateRange(ref Utf8JsonReader reader, Counts counts)
    {
        Expect(ref reader, JsonTokenType.StartObject, "date-range");
        DateTimeOffset? begin = null, end = null;
        while (NextMember(ref reader) is { } name)
        {
            switch (name)
            {
                case "start-datetime":
                    begin = Time(String(ref reader, counts, name), name);
                    break;
                case "end-datetime":
                    end = Time(String(ref reader, counts, name), name);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        return (begin, end);
    }

    private static List<TlsPolicyResult> ReadPolicies(ref Utf8JsonReader reader, Counts counts)
    {
        Expect(ref reader, JsonTokenType.StartArray, "policies");
        var policies = new List<TlsPolicyResult>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
                throw new ReportFormatException($"an entry of policies is a {Describe(reader.TokenType)}, not an object (RFC 8460 section 4.4)");
            if (++counts.Policies > counts.Limits.MaxPolicies)
                throw new ReportFormatException($"the SMTP TLS report has more than {counts.Limits.MaxPolicies:N0} policies, the most read");
            policies.Add(ReadPolicyResult(ref reader, counts));
        }
        return policies;
    }

    private static TlsPolicyResult ReadPolicyResult(ref Utf8JsonReader reader, Counts counts)
    {
        string? type = null, domain = null;
        IReadOnlyList<string> strings = [], mxHosts = [];
        long success = 0, failure = 0;
        var details = new List<TlsFailureDetail>();
        while (NextMember(ref reader) is { } name)
        {
            switch (name)
            {
                case "policy":
                    Expect(ref reader, JsonTokenType.StartObject, name);
                    while (NextMember(ref reader) is { } field)
                    {
                        switch (field)
                        {
                            case "policy-type":
                                type = String(ref reader, counts, field);
                                break;
                            case "policy-string":
                                strings = Strings(ref reader, counts, field);
                                break;
                            case "policy-domain":
                                domain = String(ref reader, counts, field);
                                break;
                            case "mx-host":
                                mxHosts = Strings(ref reader, counts, field);
                                break;
                            default:
                                reader.Skip();
                                break;
                        }
                    }
                    break;
                case "summary":
                    Expect(ref reader, JsonTokenType.StartObject, name);
                    while (NextMember(ref reader) is { } field)
                    {
                        switch (field)
                        {
                            case "total-successful-session-count":
                                success = Count(ref reader, counts, field);
                                break;
                            case "total-failure-session-count":
                                failure = Count(ref reader, counts, field);
                                break;
                            default:
                                reader.Skip();
                                break;
                        }
                    }
                    break;
                case "failure-details":
                    if (reader.TokenType == JsonTokenType.Null)
                        break;
                    Expect(ref reader, JsonTokenType.StartArray, name);
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.StartObject)
                            throw new ReportFormatException($"an entry of failure-details is a {Describe(reader.TokenType)}, not an object (RFC 8460 section 4.4)");
                        if (++counts.Details > counts.Limits.MaxFailureDetails)
                            throw new ReportFormatException($"the SMTP TLS report has more than {counts.Limits.MaxFailureDetails:N0} failure details, the most read");
                        details.Add(ReadFailureDetail(ref reader, counts));
                    }
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (string.IsNullOrWhiteSpace(type))
            throw new ReportFormatException("a policy of the SMTP TLS report has no policy-type (RFC 8460 section 4.4)");
        var typeText = type.Trim().ToLowerInvariant();
        var policyDomain = Domain(domain);
        if (policyDomain is not null && !DomainName.IsValid(policyDomain))
            throw new ReportFormatException($"policy-domain \"{Shorten(domain!)}\" is not a domain name (RFC 8460 section 4.4)");
        return new TlsPolicyResult(TlsNames.PolicyType(typeText), typeText, strings, policyDomain, mxHosts, success, failure, details);
    }

    private static TlsFailureDetail ReadFailureDetail(ref Utf8JsonReader reader, Counts counts)
    {
        string? result = null, sendingIp = null, mx = null, helo = null, receivingIp = null, info = null, code = null;
        long failed = 0;
        while (NextMember(ref reader) is { } name)
        {
            switch (name)
            {
                case "result-type":
                    result = String(ref reader, counts, name);
                    break;
                case "sending-mta-ip":
                    sendingIp = String(ref reader, counts, name);
                    break;
                case "receiving-mx-hostname":
                    mx = Domain(String(ref reader, counts, name));
                    break;
                case "receiving-mx-helo":
                    helo = String(ref reader, counts, name);
                    break;
                case "receiving-ip":
                    receivingIp = String(ref reader, counts, name);
                    break;
                case "failed-session-count":
                    failed = Count(ref reader, counts, name);
                    break;
                case "additional-information":
                    info = String(ref reader, counts, name);
                    break;
                case "failure-reason-code":
                    code = String(ref reader, counts, name);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
        if (string.IsNullOrWhiteSpace(result))
            throw new ReportFormatException("a failure detail of the SMTP TLS report has no result-type (RFC 8460 section 4.4)");
        var text = result.Trim().ToLowerInvariant();
        return new TlsFailureDetail(TlsNames.ResultType(text), text, Blank(sendingIp), mx, Blank(helo), Blank(receivingIp), failed, Blank(info), Blank(code));
    }

    /// <summary>The next member's name, lower-cased, with the reader on its value; null at the end of the object.</summary>
    private static string? NextMember(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndObject)
            return null;
        var name = reader.GetString()!.ToLowerInvariant();
        reader.Read();
        return name;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string name)
    {
        if (reader.TokenType != type)
            throw new ReportFormatException(
                $"{name} is a {Describe(reader.TokenType)}, not {(type == JsonTokenType.StartArray ? "an array" : "an object")} (RFC 8460 section 4.4)");
    }

    private static string? String(ref Utf8JsonReader reader, Counts counts, string name)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                if ((reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length) > counts.Limits.MaxStringLength * 6L)
                    throw new ReportFormatException($"{name} is longer than {counts.Limits.MaxStringLength:N0} characters");
                var text = reader.GetString()!;
                if (text.Length > counts.Limits.MaxStringLength)
                    throw new ReportFormatException($"{name} is longer than {counts.Limits.MaxStringLength:N0} characters");
                return text;
            case JsonTokenType.Number:
                return System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
            default:
                throw new ReportFormatException($"{name} is a {Describe(reader.TokenType)}, not a string (RFC 8460 section 4.4)");
        }
    }

    /// <summary>An array of strings (RFC 8460), or one string as some senders write it.</summary>
    private static IReadOnlyList<string> Strings(ref Utf8JsonReader reader, Counts counts, string name)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            return String(ref reader, counts, name) is { } one ? [one] : [];
        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (list.Count >= counts.Limits.MaxPolicies)
                throw new ReportFormatException($"{name} has more than {counts.Limits.MaxPolicies:N0} entries, the most read");
            if (String(ref reader, counts, name) is { } item)
                list.Add(item);
        }
        return list;
    }

    /// <summary>A session count: a JSON number (RFC 8460), or a number in a string as some senders write it.</summary>
    private static long Count(ref Utf8JsonReader reader, Counts counts, string name)
    {
        long value;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.Number when reader.TryGetInt64(out value):
                break;
            case JsonTokenType.String when long.TryParse(String(ref reader, counts, name)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value):
                break;
            default:
                throw new ReportFormatException($"{name} is not a whole number of sessions");
        }
        if (value is < 0 or > ReportCount.Max)
            throw new ReportFormatException(value < 0 ? $"{name} {value} is negative" : $"{name} {value} is more than {ReportCount.Max:N0} sessions");
        return value;
    }

    /// <summary>RFC 8460 section 4.4: date-time of RFC 3339; senders also write "+00:00" and leave out the seconds' fraction.</summary>
    private static DateTimeOffset? Time(string? text, string name)
    {
        if (text is null)
            return null;
        if (DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            return time;
        throw new ReportFormatException($"{name} \"{Shorten(text)}\" is not a date-time (RFC 3339)");
    }

    private static string? Domain(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Trim().TrimEnd('.').ToLowerInvariant();

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => type.ToString().ToLowerInvariant(),
    };
}
