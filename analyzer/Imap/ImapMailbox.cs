namespace DmarcAnalyzer.Imap;

/// <summary>One <c>LIST</c> entry (RFC 3501 §7.2.2): the decoded name, the hierarchy delimiter, the attributes.</summary>
internal sealed record ImapMailbox(string Name, char? Delimiter, IReadOnlyList<string> Attributes)
{
    public bool CanSelect => !Attributes.Any(a => a.Equals(@"\Noselect", StringComparison.OrdinalIgnoreCase)
                                                  || a.Equals(@"\NonExistent", StringComparison.OrdinalIgnoreCase));
}

/// <summary>What <c>SELECT</c> reported (RFC 3501 §6.3.1).</summary>
internal sealed record SelectedMailbox(string Name, long Exists, uint UidValidity, uint? UidNext, bool ReadOnly);
