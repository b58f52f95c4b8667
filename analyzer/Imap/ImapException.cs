namespace DmarcAnalyzer.Imap;

/// <summary>Any IMAP failure.</summary>
internal abstract class ImapException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The connection is unusable: closed, timed out, <c>BYE</c>, or a TLS failure. Transient: reconnecting may help.
/// </summary>
internal sealed class ImapConnectionException(string message, Exception? inner = null) : ImapException(message, inner);

/// <summary>The server broke the protocol or a limit (<see cref="ImapLimits"/>); the connection is dropped.</summary>
internal sealed class ImapProtocolException(string message) : ImapException(message);

/// <summary>The server answered a command with <c>NO</c> or <c>BAD</c>; the connection stays usable.</summary>
internal sealed class ImapCommandException(string command, ImapStatus status, string? code, string text)
    : ImapException($"{command}: {status.ToString().ToUpperInvariant()} {(code is null ? "" : $"[{code}] ")}{text}")
{
    public ImapStatus Status { get; } = status;

    /// <summary>The response code's name (RFC 5530), e.g. <c>AUTHENTICATIONFAILED</c>, <c>ALREADYEXISTS</c>.</summary>
    public string? Code { get; } = code;
}

/// <summary>The server refused our credentials: retrying will not help.</summary>
internal sealed class ImapAuthenticationException(string message) : ImapException(message);
