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
    private MessagePhase _phase;
    private MessageSpool? _spool;
    private Task<MilterDecision?>? _decision;
    private CancellationTokenSource? _decisionCancel;

    /// <summary>Where a message is: each command may only come in the phases the MTA sends it in.</summary>
    private enum MessagePhase
    {
        None,
        Envelope,
        Header,
        Body,
    }

    /// <summary>True between MAIL FROM and the end (or abort) of that message.</summary>
    public bool InMessage => _sender is not null;

    /// <summary>
    /// The handler's verdict on the message that ended, while it is being made: the MTA may only abort or quit
    /// meanwhile, and either cancels it. The server writes it with <see cref="WriteDecisionAsync"/> once done.
    /// </summary>
    public Task? Decision => _decision;

    /// <summary>
    /// Handles one packet, writing any reply to <paramref name="output"/>; false closes the connection. An end of
    /// message starts the handler and returns before its verdict unless that is ready at once (see <see cref="Decision"/>).
    /// </summary>
    public async ValueTask<bool> HandleAsync(MilterFrame frame, IBufferWriter<byte> output, CancellationToken ct)
    {
        if (!_negotiated && frame.Command != MilterCommandCode.OptionNegotiation)
            throw new MilterProtocolException($"command '{Printable(frame.Command)}' before option negotiation");
        if (_decision is not null)
        {
            // The MTA waits for our verdict; giving up on the message is all it may do (Postfix on its content timeout).
            if (frame.Command is not (MilterCommandCode.Abort or MilterCommandCode.Quit or MilterCommandCode.QuitNewConnection))
                throw new MilterProtocolException($"command '{Printable(frame.Command)}' before the reply to end of message");
            logger.LogInformation("the MTA gave up on message {QueueId} during the checks; they are cancelled", Envelope().QueueId);
            await CancelDecisionAsync();
        }
        switch (frame.Command)
        {
            case MilterCommandCode.OptionNegotiation:
                if (_negotiated)
                    throw new MilterProtocolException("option negotiation repeated");
                Negotiate(frame.Data, output);
                return true;
            case MilterCommandCode.Macro:
                ReadMacros(frame.Data);
                return true;
            case MilterCommandCode.Connect:
                Expect(frame.Command, MessagePhase.None);
                ReadConnect(frame.Data);
                Reply(output, MilterProtocolFlags.NoReplyConnect);
                return true;
            case MilterCommandCode.Helo:
                Expect(frame.Command, MessagePhase.None);
                _helo = FirstString(frame.Data);
                Reply(output, MilterProtocolFlags.NoReplyHelo);
                return true;
            case MilterCommandCode.Mail:
                // A new MAIL FROM inside a message ends it as an abort would (libmilter does the same).
                await StartMessageAsync(FirstString(frame.Data));
                Reply(output, MilterProtocolFlags.NoReplyMail);
                return true;
            case MilterCommandCode.Recipient:
                Expect(frame.Command, MessagePhase.Envelope);
                var recipient = FirstString(frame.Data);
                if (_recipients.Count < options.MaxRecipients)
                    _recipients.Add(recipient);
                Reply(output, MilterProtocolFlags.NoReplyRecipient);
                return true;
            case MilterCommandCode.Data:
                Expect(frame.Command, MessagePhase.Envelope);
                Reply(output, MilterProtocolFlags.NoReplyData);
                return true;
            case MilterCommandCode.Unknown:
                Reply(output, MilterProtocolFlags.NoReplyUnknown);
                return true;
            case MilterCommandCode.Header:
                Expect(frame.Command, MessagePhase.Envelope, MessagePhase.Header);
                _phase = MessagePhase.Header;
                var (name, value) = ReadHeader(frame.Data);
                await _spool!.AddHeaderAsync(name, value, _protocol.HasFlag(MilterProtocolFlags.HeaderLeadingSpace), ct);
                Reply(output, MilterProtocolFlags.NoReplyHeader);
                return true;
            case MilterCommandCode.EndOfHeaders:
                Expect(frame.Command, MessagePhase.Envelope, MessagePhase.Header);
                _phase = MessagePhase.Body;
                await _spool!.EndHeadersAsync(ct);
                Reply(output, MilterProtocolFlags.NoReplyEndOfHeaders);
                return true;
            case MilterCommandCode.Body:
                Expect(frame.Command, MessagePhase.Envelope, MessagePhase.Header, MessagePhase.Body);
                _phase = MessagePhase.Body;
                await _spool!.AppendBodyAsync(frame.Data, ct);
                Reply(output, MilterProtocolFlags.NoReplyBody);
                return true;
            case MilterCommandCode.EndOfBody:
                Expect(frame.Command, MessagePhase.Envelope, MessagePhase.Header, MessagePhase.Body);
                // The last body bytes may ride on the end-of-body packet itself.
                if (!frame.Data.IsEmpty)
                    await _spool!.AppendBodyAsync(frame.Data, ct);
                StartDecision(ct);
                if (_decision!.IsCompleted)
                    await WriteDecisionAsync(output);
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

    private void Expect(byte command, params ReadOnlySpan<MessagePhase> phases)
    {
        if (!phases.Contains(_phase))
            throw new MilterProtocolException(_phase == MessagePhase.None
                ? $"command '{Printable(command)}' outside a message"
                : $"command '{Printable(command)}' out of order ({_phase.ToString().ToLowerInvariant()} of a message)");
    }

    private static char Printable(byte command) => command is >= 0x21 and < 0x7F ? (char)command : '?';

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
        else if (family != (byte)'U')
            throw new MilterProtocolException($"connect with unknown address family 0x{family:x2}");
    }

    private void Negotiate(ReadOnlySequence<byte> data, IBufferWriter<byte> output)
    {
        var payload = new MilterPayload(data);
        var version = payload.ReadUInt32();
        var offeredActions = (MilterActions)payload.ReadUInt32();
        var offeredProtocol = (MilterProtocolFlags)payload.ReadUInt32();
        if (version < 2)
            throw new MilterProtocolException($"MTA speaks milter protocol version {version}; at least 2 is needed");
        // Bits we do not know are never granted back: only what we want and the MTA offered.
        _actions = WantedActions & offeredActions;
        _protocol = WantedProtocol & offeredProtocol;
        var macros = _actions.HasFlag(MilterActions.SetMacroList) ? WantedMacros : [];
        _negotiated = true;
        MilterReplyWriter.WriteNegotiation(output, Math.Min(version, Version), _actions, _protocol, macros);
    }

    /// <summary>The stage's command letter, then name/value pairs (libmilter's st_macros).</summary>
    private void ReadMacros(ReadOnlySequence<byte> data)
    {
        var payload = new MilterPayload(data);
        var stage = payload.ReadByte();
        if (stage is not (MilterCommandCode.Connect or MilterCommandCode.Helo or MilterCommandCode.Mail or MilterCommandCode.Recipient
            or MilterCommandCode.Data or MilterCommandCode.Header or MilterCommandCode.EndOfHeaders or MilterCommandCode.Body
            or MilterCommandCode.EndOfBody or MilterCommandCode.Unknown))
            throw new MilterProtocolException($"macros for unknown stage '{Printable(stage)}'");
        var table = stage is MilterCommandCode.Connect or MilterCommandCode.Helo ? _connectionMacros : _messageMacros;
        while (!payload.End)
        {
            var name = payload.ReadString();
            if (payload.End)
                throw new MilterProtocolException($"macro {name} has no value");
            var value = payload.ReadString();
            var key = name.Trim('{', '}');
            if (table.Count < 256 || table.ContainsKey(key))
                table[key] = value;
        }
    }

    private async ValueTask StartMessageAsync(string sender)
    {
        await ResetMessageAsync(keepMacros: true);
        _sender = sender;
        _phase = MessagePhase.Envelope;
        _spool = new MessageSpool(options, keepContent: handler.NeedsContent(Envelope()));
    }

    /// <summary>
    /// Starts the handler on the message. Its token is cancelled when the MTA aborts or quits, when the connection
    /// closes or times out, and at the end of shutdown (<paramref name="ct"/>).
    /// </summary>
    private void StartDecision(CancellationToken ct)
    {
        _decisionCancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _decision = DecideAsync(Envelope(), _spool!, _decisionCancel.Token);
    }

    private async Task<MilterDecision?> DecideAsync(MilterEnvelope envelope, MessageSpool spool, CancellationToken ct)
    {
        try
        {
            return await handler.EndOfMessageAsync(envelope, spool, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One message's trouble must not cost the MTA its filter: accept it and say why.
            logger.LogError(e, "filter failed on message {QueueId}; accepting it", envelope.QueueId);
            return MilterDecision.Accept;
        }
    }

    /// <summary>Writes the verdict of the finished <see cref="Decision"/> (modifications, then the final reply) and ends the message.</summary>
    public async ValueTask WriteDecisionAsync(IBufferWriter<byte> output)
    {
        var decision = await _decision!;
        ForgetDecision();
        // Cancelled only by the end of shutdown: the connection is cut, no verdict goes out.
        if (decision is null)
            throw new OperationCanceledException("the checks were cancelled");
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

    /// <summary>Cancels the checks in progress and waits for the handler to let go of the message.</summary>
    private async ValueTask CancelDecisionAsync()
    {
        if (_decision is null)
            return;
        await _decisionCancel!.CancelAsync();
        try
        {
            await _decision;
        }
        catch (OperationCanceledException)
        {
            // A handler that ends with its own cancellation: the verdict is not wanted either way.
        }
        ForgetDecision();
    }

    private void ForgetDecision()
    {
        _decision = null;
        _decisionCancel?.Dispose();
        _decisionCancel = null;
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
        await CancelDecisionAsync();
        _sender = null;
        _phase = MessagePhase.None;
        _recipients.Clear();
        if (!keepMacros)
            _messageMacros.Clear();
        if (_spool is not null)
        {
            await _spool.DisposeAsync();
            _spool = null;
        }
    }

    /// <summary>The connection is gone: checks still running are cancelled and the message's memory and file are let go.</summary>
    public ValueTask DisposeAsync() => ResetMessageAsync();
}
