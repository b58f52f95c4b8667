namespace DmarcAnalyzer.Mail;

/// <summary>
/// One mailbox (RFC 5322 §3.4). <see cref="LocalPart"/> is the unquoted content of a quoted local part;
/// <see cref="Domain"/> is as written (a domain literal keeps its brackets).
/// </summary>
internal sealed record MailAddress(string? DisplayName, string LocalPart, string Domain)
{
    public string Address => LocalPart + "@" + Domain;

    public override string ToString() => DisplayName is null ? Address : $"{DisplayName} <{Address}>";
}
