using DmarcAnalyzer.Storage;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace DmarcAnalyzer.Mail;

/// <summary>What one <see cref="Outbox.FlushAsync"/> did: mail the relay accepted, mail left in the spool for later.</summary>
internal sealed record OutboxFlush(int Sent, int Deferred);

/// <summary>
/// Everything that sends mail puts it here: it is spooled in the store first, then handed to the relay on MailKit's
/// SmtpClient. Mail the relay does not take (down, refusing, timing out) stays in the spool and is retried with a
/// doubling delay, so nothing is lost while the relay is away.
/// </summary>
internal sealed class Outbox(IOutboxQueries spool, SmtpSettings settings, TimeProvider time, ILogger<Outbox> logger)
{
    private const int BatchSize = 100;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromHours(6);

    /// <summary>Spools <paramref name="message"/>: From is filled from Smtp:From when missing, Bcc is taken off the header.</summary>
    public async Task<long> EnqueueAsync(MimeMessage message, CancellationToken ct) =>
        await spool.EnqueueAsync(await PrepareAsync(message, ct), time.GetUtcNow(), ct);

    /// <summary>The spool entry of <paramref name="message"/>, for a caller that spools it in a transaction of its own.</summary>
    public async Task<OutboxMail> PrepareAsync(MimeMessage message, CancellationToken ct)
    {
        if (message.From.Count == 0)
            message.From.Add(MailboxAddress.Parse(settings.From));
        var recipients = message.To.Mailboxes.Concat(message.Cc.Mailboxes).Concat(message.Bcc.Mailboxes)
            .Select(m => m.Address).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (recipients.Count == 0)
            throw new ArgumentException("the message has no recipient (To, Cc or Bcc)", nameof(message));
        message.Bcc.Clear();
        using var bytes = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        await message.WriteToAsync(format, bytes, ct);
        return new OutboxMail(EnvelopeSender(), recipients, bytes.ToArray());
    }

    /// <summary>Sends what is due, on one connection; what fails is deferred.</summary>
    public async Task<OutboxFlush> FlushAsync(CancellationToken ct)
    {
        var due = await spool.DueAsync(time.GetUtcNow(), BatchSize, ct);
        if (due.Count == 0)
            return new OutboxFlush(0, 0);
        using var client = new SmtpClient();
        try
        {
            await ConnectAsync(client, ct);
        }
        catch (Exception e) when (IsSendFailure(e))
        {
            foreach (var mail in due)
                await DeferAsync(mail, $"relay {settings.Host}:{settings.Port}: {e.Message}", ct);
            return new OutboxFlush(0, due.Count);
        }
        var sent = 0;
        for (var i = 0; i < due.Count; i++)
        {
            var mail = due[i];
            try
            {
                using var message = MimeMessage.Load(new MemoryStream(mail.Message, writable: false), ct);
                await client.SendAsync(message, MailboxAddress.Parse(mail.Sender), mail.Recipients.Select(MailboxAddress.Parse), ct);
                await spool.RemoveAsync(mail.Id, ct);
                sent++;
            }
            catch (SmtpCommandException e)
            {
                // The relay refused this mail but the session goes on.
                await DeferAsync(mail, $"relay refused: {(int)e.StatusCode} {e.Message}", ct);
            }
            catch (Exception e) when (IsSendFailure(e))
            {
                // The session broke: this mail and the rest wait for the next flush.
                foreach (var rest in due.Skip(i))
                    await DeferAsync(rest, $"relay {settings.Host}:{settings.Port}: {e.Message}", ct);
                return new OutboxFlush(sent, due.Count - sent);
            }
        }
        await client.DisconnectAsync(quit: true, ct);
        return new OutboxFlush(sent, due.Count - sent);
    }

    private async Task ConnectAsync(SmtpClient client, CancellationToken ct)
    {
        var security = settings.Tls switch
        {
            SmtpTls.Implicit => SecureSocketOptions.SslOnConnect,
            SmtpTls.StartTls => SecureSocketOptions.StartTls,
            _ => SecureSocketOptions.None,
        };
        await client.ConnectAsync(settings.Host, settings.Port, security, ct);
        if (settings is { User: { } user, PasswordFile: { } file })
        {
            var password = (await File.ReadAllTextAsync(file, ct)).TrimEnd('\r', '\n');
            await client.AuthenticateAsync(user, password, ct);
        }
    }

    private async Task DeferAsync(SpooledMail mail, string error, CancellationToken ct)
    {
        var delay = TimeSpan.FromTicks(Math.Min(LongestRetry.Ticks, FirstRetry.Ticks << Math.Min(mail.Attempts, 20)));
        var next = time.GetUtcNow() + delay;
        logger.LogWarning("outbox mail {Id} to {Recipients} not sent (attempt {Attempt}), retry at {Next:u}: {Error}",
            mail.Id, string.Join(", ", mail.Recipients), mail.Attempts + 1, next, error);
        await spool.DeferAsync(mail.Id, next, error, ct);
    }

    private string EnvelopeSender() => MailboxAddress.Parse(settings.From).Address;

    private static bool IsSendFailure(Exception e) =>
        e is IOException or System.Net.Sockets.SocketException or SmtpCommandException or SmtpProtocolException
            or AuthenticationException or SslHandshakeException or ServiceNotConnectedException or TimeoutException
            or UnauthorizedAccessException;
}
