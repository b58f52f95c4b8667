using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Arc;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// Our ARC seal as the verdict's last header change: the set is computed over the message as it will leave us (the
/// verdict's header changes applied, the new body when attachments were removed) and inserted on top.
/// </summary>
internal static class ArcSealing
{
    public static async Task<Verdict> SealAsync(ArcSealKey key, Verdict verdict, IReadOnlyList<(string Name, string Value)> headers,
        Stream message, long start, DateTimeOffset now, CancellationToken ct)
    {
        if (verdict.Action is VerdictAction.Reject or VerdictAction.Tempfail
            || verdict.HeaderEdits.FirstOrDefault(e => e.OnTop && e.Name == AuthenticationResultsWriter.FieldName)?.Value is not { } ours)
            return verdict;
        using var final = new MemoryStream();
        await using (var writer = new StreamWriter(final, System.Text.Encoding.Latin1, leaveOpen: true) { NewLine = "\r\n" })
        {
            foreach (var (name, value) in Edited(headers, verdict.HeaderEdits))
                await writer.WriteLineAsync($"{name}: {value.Replace("\r\n", "\n").Replace("\n", "\r\n")}");
            await writer.WriteLineAsync();
        }
        if (verdict.NewBody is { } body)
            final.Write(body);
        else
            await CopyBodyAsync(message, start, final, ct);
        final.Position = 0;
        var set = await ArcSealer.SealAsync(key, final, ours, now, ct);
        if (set is null)
            return verdict;
        // Each insertion goes on top: the last inserted, the ARC-Seal, ends up first.
        return verdict with { HeaderEdits = [.. verdict.HeaderEdits, .. set.Reverse().Select(f => new HeaderEdit(f.Name, f.Value, OnTop: true))] };
    }

    /// <summary>The header fields after the milter's changes, applied in order as the MTA applies them.</summary>
    private static List<(string Name, string Value)> Edited(IReadOnlyList<(string Name, string Value)> headers, IReadOnlyList<HeaderEdit> edits)
    {
        var fields = headers.ToList();
        foreach (var edit in edits)
        {
            if (edit.OnTop)
                fields.Insert(0, (edit.Name, edit.Value ?? ""));
            else if (edit.Index is { } index)
            {
                var at = fields.Select((f, i) => (f, i)).Where(x => x.f.Name.Equals(edit.Name, StringComparison.OrdinalIgnoreCase))
                    .Select(x => x.i).Skip((int)index - 1).DefaultIfEmpty(-1).First();
                if (at < 0)
                    continue;
                if (edit.Value is null)
                    fields.RemoveAt(at);
                else
                    fields[at] = (fields[at].Name, edit.Value);
            }
            else
                fields.Add((edit.Name, edit.Value ?? ""));
        }
        return fields;
    }

    /// <summary>The body of the spooled message: what follows its first empty line.</summary>
    private static async Task CopyBodyAsync(Stream message, long start, Stream output, CancellationToken ct)
    {
        message.Position = start;
        using var whole = new MemoryStream();
        await message.CopyToAsync(whole, ct);
        var bytes = whole.GetBuffer().AsSpan(0, (int)whole.Length);
        var end = bytes.IndexOf("\r\n\r\n"u8);
        if (end >= 0)
            output.Write(bytes[(end + 4)..]);
    }
}
