using MailKit;
using MailKit.Net.Imap;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Imap;

/// <summary>
/// Moves messages by UID: <c>UID MOVE</c> (RFC 6851) when offered, else <c>UID COPY</c>, <c>\Deleted</c> and
/// <c>UID EXPUNGE</c> of those UIDs alone (RFC 4315). Our own for the fallback: without UIDPLUS MailKit's
/// <c>MoveToAsync</c> clears others' <c>\Deleted</c> flags and runs a plain EXPUNGE of the whole folder; here the
/// originals then stay flagged <c>\Deleted</c>, and nothing is removed that we did not copy.
/// </summary>
internal static class FolderMove
{
    public static async Task MoveAsync(ImapClient client, IMailFolder source, IList<UniqueId> uids, IMailFolder destination, ILogger log, CancellationToken ct)
    {
        if (uids.Count == 0)
            return;
        if (client.Capabilities.HasFlag(ImapCapabilities.Move))
        {
            await source.MoveToAsync(uids, destination, ct);
            return;
        }
        await source.CopyToAsync(uids, destination, ct);
        await source.AddFlagsAsync(uids, MessageFlags.Deleted, silent: true, ct);
        if (client.Capabilities.HasFlag(ImapCapabilities.UidPlus))
            await source.ExpungeAsync(uids, ct);
        else
            log.LogWarning("server lacks MOVE and UIDPLUS: messages {Uids} stay flagged \\Deleted in {Folder}", string.Join(',', uids), source.FullName);
    }
}
