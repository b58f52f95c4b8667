using System.Net;

namespace DmarcAnalyzer.Auth.Spf;

internal enum SpfMechanismKind
{
    All,
    Include,
    A,
    Mx,
    Ptr,
    Ip4,
    Ip6,
    Exists,
}

/// <summary>
/// A directive (RFC 7208 §4.6.2): qualifier, mechanism, its domain-spec (unexpanded, null for the current
/// domain), its CIDR lengths and, for ip4/ip6, its network. <paramref name="Text"/> is the term as written.
/// </summary>
internal sealed record SpfMechanism(
    SpfResultCode Qualifier,
    SpfMechanismKind Kind,
    string? DomainSpec,
    int Cidr4,
    int Cidr6,
    IPAddress? Network,
    string Text)
{
    /// <summary>Mechanisms that query DNS and count against the limit of 10 (RFC 7208 §4.6.4).</summary>
    public bool QueriesDns => Kind is SpfMechanismKind.Include or SpfMechanismKind.A or SpfMechanismKind.Mx
        or SpfMechanismKind.Ptr or SpfMechanismKind.Exists;
}
