using System.Buffers;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Milter;

/// <summary>
/// The state of one MTA connection: negotiated options, macros, the SMTP session's client and HELO, and the
/// message in progress. Each command is handled in the order the MTA sends them (mfdef.h, Postfix milter8.c).
/// </summary>
internal sealed class MilterSession(IMilterHandler handler, MilterOptions options, ILogger logger) : IAsyncDisposable
{
    /// <summary>The highest protocol version we speak.</summary>
    public const uint Version = 6;

    /// <summary>Actions we use; the MTA may grant fewer.</summary>
    public const MilterActions WantedActions = MilterActions.AddHeaders | MilterActions.ChangeHeaders
        | MilterActions.ChangeBody | MilterActions.Quarantine | MilterActions.SetMacroList;

    /// <summary>Steps we do not need and replies we do not send, when the MTA offers to go without them.</summary>
    public const MilterProtocolFlags WantedProtocol = MilterProtocolFlags.NoUnknown | MilterProtocolFlags.NoData
        | MilterProtocolFlags.NoReplyConnect | MilterProtocolFlags.NoReplyHelo | MilterProtocolFlags.NoReplyMail
        | MilterProtocolFlags.NoReplyRecipient | MilterProtocolFlags.NoReplyData | MilterProtocolFlags.NoReplyUnknown
        | MilterProtocolFlags.NoReplyHeader | MilterProtocolFlags.NoReplyEndOfHeaders | MilterProtocolFlags.NoReplyBody
        | MilterProtocolFlags.HeaderLeadingSpace;

    /// <summary>Macros we ask for per stage (Postfix sends most of them by default anyway).</summary>
    public static readonly IReadOnlyList<(MilterMacroStage, string)> WantedMacros =
    [
        (MilterMacroStage.Connect, "j v {daemon_name} {daemon_port} {client_addr} {client_name} {client_resolve} {if_addr}"),
        (MilterMacroStage.MailFrom, "i {auth_authen} {auth_type} {mail_addr}"),
        (MilterMacroStage.EndOfMessage, "i"),
    ];

    private readonly Dictionary<string, string> _connectionMacros = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _messageMacros = new(StringComparer.Ordinal);
    private readonly List<string> _recipients = [];
    private bool _negotiated;
    private MilterActions _actions;
    private MilterProtocolFlags _protocol;
    private string? _clientName;
    private string? _clientAddress;
    private string? _helo;
    private string? _sender;
    private MessageSpool? _spool;

    /// <summary>True between MAIL FROM and the end (or abort) of that message.</summary>
    public bool InMessage => _sender is not null;

    /// <summary>Handles one packet, writing any reply to <paramref name="output"/>; false closes the connection.</summary>
    public async ValueTask<bool> HandleAsync(MilterFrame frame, IBufferWriter<byte> output, CancellationToken ct)
    {
        if (!_negotiated && frame.Command != MilterCommandCode.OptionNegotiation)
            throw new MilterProtocolException($"command '{(char)frame.Command}' before option negotiation");
        switch (frame.Command)
        {
            case MilterCommandCode.OptionNegotiation:
                Negotiate(frame.Data, output);
                return true;
            case MilterCommandCode.Macro:
                ReadMacros(frame.Data);
                return true;
            case MilterCommandCode.Connect:
                await ResetMessageAsync();
                ReadConnect(frame.Data);
                Reply(output, MilterProtocolFlags.NoReplyConnect);
                return true;
            case MilterCommandCode.Helo:
                _helo = FirstString(frame.Data);
                Reply(output, MilterProtocolFlags.NoReplyHelo);
                return true;
            case MilterCommandCode.Mail:
                await StartMessageAsync(FirstString(frame.Data));
                Reply(output, MilterProtocolFlags.NoReplyMail);
                return true;
            case MilterCommandCode.Recipient:
                var recipient = FirstString(frame.Data);
                if (_recipients.Count < options.MaxRecipients)
                    _recipients.Add(recipient);
                Reply(output, MilterProtocolFlags.NoReplyRecipient);
                return true;
            case MilterCommandCode.Data:
                Reply(output, MilterProtocolFlags.NoReplyData);
                return true;
            case MilterCommandCode.Unknown:
                Reply(output, MilterProtocolFlags.NoReplyUnknown);
                return true;
            case MilterCommandCode.Header:
                var (name, value) = ReadHeader(frame.Data);
                if (_spool is not null && _spool.FieldCount < options.MaxHeaders)
                    await _spool.AddHeaderAsync(name, value, _protocol.HasFlag(MilterProtocolFlags.HeaderLeadingSpace), ct);
                else
                    _spool?.AddHeaderPastCap(name, value);
                Reply(output, MilterProtocolFlags.NoReplyHeader);
                return true;
            case MilterCommandCode.EndOfHeaders:
                if (_spool is not null)
                    await _spool.EndHeadersAsync(ct);
                Reply(output, MilterProtocolFlags.NoReplyEndOfHeaders);
                return true;
            case MilterCommandCode.Body:
                if (_spool is not null)
                    await _spool.AppendBodyAsync(frame.Data, ct);
                Reply(output, MilterProtocolFlags.NoReplyBody);
                return true;
            case MilterCommandCode.EndOfBody:
                // The last body bytes may ride on the end-of-body packet itself.
                if (_spool is not null && !frame.Data.IsEmpty)
                    await _spool.AppendBodyAsync(frame.Data, ct);
                await EndOfMessageAsync(output, ct);
                return true;
            case MilterCommandCode.Abort:
                await ResetMessageAsync();
                return true;
            case MilterCommandCode.QuitNewConnection:
                await ResetMessageAsync();
                _connectionMacros.Clear();
                _clientName = _clientAddress = _helo = null;
                return true;
            case MilterCommandCode.Quit:
                return false;
            default:
                throw new MilterProtocolException($"unknown command 0x{frame.Command:x2}");
        }
    }

    private static string FirstString(ReadOnlySequence<byte> data) => new MilterPayload(data).ReadString();

    private static (string Name, string Value) ReadHeader(ReadOnlySequence<byte> data)
    {
        var payload = new MilterPayload(data);
        return (payload.ReadRawString(), payload.ReadRawString());
    }

    /// <summary>Host name, family (<c>4</c>, <c>6</c>, <c>L</c> local, <c>U</c> unknown: nothing follows), port, address.</summary>
    private void ReadConnect(ReadOnlySequence<byte> data)
    {
        var payload = new MilterPayload(data);
        _clientName = payload.ReadString();
        _clientAddress = null;
        var family = payload.ReadByte();
        if (family is (byte)'4' or (byte)'6' or (byte)'L')
        {
            payload.ReadUInt16();
            _clientAddress = payload.ReadString();
        }
    }

    private void Negotiate(ReadOnlySequence<byte> data, IBufferWriter<byte> output)
    {
        var payload = new MilterPayload(data);
        var version = payload.ReadUInt32();
        var offeredActions = (MilterActions)payload.ReadUInt32();
        var offeredProtocol = (MilterProtocolFlags)payload.ReadUInt32();
        if (version < 2)
            throw new MilterProtocolException($"MTA speaks milter protocol version {version}; at least 2 is needed");
        _actions = WantedActions & offeredActions;
        _protocol = WantedProtocol & offeredProtocol;
        var macros = _actions.HasFlag(MilterActions.SetMacroList) ? WantedMacros : [];
        _negotiated = true;
        MilterReplyWriter.WriteNegotiation(output, Math.Min(version, Version), _actions, _protocol, macros);
    }

    private void ReadMacros(ReadOnlySequence<byte> data)
    {
        var payload = new MilterPayload(data);
        var stage = payload.ReadByte();
        var table = stage is MilterCommandCode.Connect or MilterCommandCode.Helo ? _connectionMacros : _messageMacros;
        while (!payload.End)
        {
            var name = payload.ReadString();
            var value = payload.End ? "" : payload.ReadString();
            var key = name.Trim('{', '}');
            if (table.Count < 256 || table.ContainsKey(key))
                table[key] = value;
        }
    }

    private async ValueTask StartMessageAsync(string sender)
    {
        await ResetMessageAsync(keepMacros: true);
        _sender = sender;
        _spool = handler.NeedsContent(Envelope())
            ? new MessageSpool(options.SpoolMemoryBytes, options.MaxMessageBytes)
            : MessageSpool.HeadersOnly();
    }

    private async ValueTask EndOfMessageAsync(IBufferWriter<byte> output, CancellationToken ct)
    {
        if (_spool is null)
            throw new MilterProtocolException("end of message without MAIL FROM");
        MilterDecision decision;
        try
        {
            decision = await handler.EndOfMessageAsync(Envelope(), _spool, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One message's trouble must not cost the MTA its filter: accept it and say why.
            logger.LogError(e, "filter failed on message {QueueId}; accepting it", Envelope().QueueId);
            decision = MilterDecision.Accept;
        }
        foreach (var modification in decision.Modifications)
        {
            if ((_actions & modification.RequiredAction) != 0)
                MilterReplyWriter.Write(output, WithLeadingSpace(modification));
            else
                logger.LogWarning("the MTA did not grant {Action}; {Modification} dropped", modification.RequiredAction, modification.GetType().Name);
        }
        MilterReplyWriter.Write(output, decision.Reply);
        await ResetMessageAsync();
    }

    /// <summary>
    /// With SMFIP_HDR_LEADSPC the MTA writes header values as given, without the space after the colon
    /// (Postfix milter8.c), so it is put in here; handlers give values without it either way.
    /// </summary>
    private MilterModification WithLeadingSpace(MilterModification modification)
    {
        if (!_protocol.HasFlag(MilterProtocolFlags.HeaderLeadingSpace))
            return modification;
        return modification switch
        {
            MilterModification.AddHeader add => add with { Value = " " + add.Value },
            MilterModification.InsertHeader insert => insert with { Value = " " + insert.Value },
            MilterModification.ChangeHeader { Value: { } value } change => change with { Value = " " + value },
            _ => modification,
        };
    }

    private MilterEnvelope Envelope()
    {
        var macros = new Dictionary<string, string>(_connectionMacros, StringComparer.Ordinal);
        foreach (var (name, value) in _messageMacros)
            macros[name] = value;
        return new MilterEnvelope(_clientName, _clientAddress, _helo, _sender ?? "", _recipients.ToArray(), macros);
    }

    private void Reply(IBufferWriter<byte> output, MilterProtocolFlags noReplyFlag)
    {
        if (!_protocol.HasFlag(noReplyFlag))
            MilterReplyWriter.Write(output, MilterReplyCode.Continue);
    }

    /// <summary>Forgets the message in progress: after abort or end of message the next one starts clean.</summary>
    private async ValueTask ResetMessageAsync(bool keepMacros = false)
    {
        _sender = null;
        _recipients.Clear();
        if (!keepMacros)
            _messageMacros.Clear();
        if (_spool is not null)
        {
            await _spool.DisposeAsync();
            _spool = null;
        }
    }

    public ValueTask DisposeAsync() => ResetMessageAsync();
}
