namespace DmarcAnalyzer.Auth.Dmarc;

/// <summary>The identifier alignment a DMARC record asks for (RFC 9989 adkim= and aspf=).</summary>
internal enum AlignmentMode
{
    Relaxed,
    Strict,
}

/// <summary>
/// RFC 9989 identifier alignment, the one rule for an SPF-authenticated domain or a DKIM d= against the author domain:
/// strict is the same name; relaxed is the same organisational domain, as <see cref="DmarcDiscovery"/> finds it (the
/// DNS tree walk, or the Public Suffix List in that mode).
/// </summary>
internal static class IdentifierAlignment
{
    /// <summary>Whether <paramref name="identifier"/> aligns with the author domain; DNS is asked only for a relaxed match.</summary>
    /// <exception cref="DmarcTempErrorException">DNS failed while the identifier's organisational domain was sought.</exception>
    public static async Task<bool> AlignedAsync(DmarcDiscovery discovery, string fromDomain, string fromOrganization, string identifier,
        AlignmentMode mode, CancellationToken ct)
    {
        if (!MayAlign(identifier, fromDomain, fromOrganization, mode, out var name))
            return false;
        return name == fromDomain || await discovery.OrganizationalDomainAsync(name, ct) == fromOrganization;
    }

    /// <summary>
    /// Whether <paramref name="identifier"/> can align, told without DNS: the same name as the author domain, or in
    /// relaxed mode a name at or under the author's organisational domain (the rule's condition that needs no lookup:
    /// a name outside that domain cannot have it as its own). Used where an identifier was not authenticated (a DNS
    /// error, a signature not verified) and the question is whether it could have made DMARC pass.
    /// </summary>
    public static bool CouldAlign(string identifier, string fromDomain, string fromOrganization, AlignmentMode mode) =>
        MayAlign(identifier, AuthorDomains.Normalize(fromDomain) ?? fromDomain, AuthorDomains.Normalize(fromOrganization) ?? fromOrganization, mode, out _);

    private static bool MayAlign(string identifier, string fromDomain, string fromOrganization, AlignmentMode mode, out string name)
    {
        name = AuthorDomains.Normalize(identifier) ?? "";
        if (name.Length == 0)
            return false;
        if (name == fromDomain)
            return true;
        return mode == AlignmentMode.Relaxed
            && (name == fromOrganization || name.EndsWith("." + fromOrganization, StringComparison.Ordinal));
    }
}
