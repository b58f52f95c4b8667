using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace DmarcAnalyzer.Imap;

/// <summary>
/// Where an OAuth 2.0 access token comes from. It is asked again at every connection, so an outside refresher can
/// rotate it. The token itself is never logged or put in an exception message.
/// </summary>
internal abstract record AccessTokenSource
{
    public abstract Task<string> GetAsync(CancellationToken ct);

    /// <summary>The first non-blank line: tools print the token with a trailing newline.</summary>
    protected static string? FirstLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
}

/// <summary>A file holding the token, re-read at every connection.</summary>
internal sealed record AccessTokenFile(string Path) : AccessTokenSource
{
    public override async Task<string> GetAsync(CancellationToken ct)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(Path, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MailboxCredentialException($"cannot read the token file {Path}: {e.Message}");
        }
        return FirstLine(text) ?? throw new MailboxCredentialException($"the token file {Path} is empty");
    }

    public override string ToString() => $"token file {Path}";
}

/// <summary>
/// A command whose standard output is the token (a refresher such as <c>oauth2l fetch</c> or a script). It runs without
/// a shell: the words of the command line are its program and arguments, quoted as a shell would (<see cref="Split"/>);
/// for a pipeline, name <c>sh -c '…'</c> explicitly. It must finish within <see cref="Timeout"/>.
/// </summary>
internal sealed record AccessTokenCommand(string CommandLine, TimeSpan Timeout) : AccessTokenSource
{
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(30);

    public override async Task<string> GetAsync(CancellationToken ct)
    {
        var words = Split(CommandLine);
        var start = new ProcessStartInfo(words[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var word in words.Skip(1))
            start.ArgumentList.Add(word);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new MailboxCredentialException($"the token command {words[0]} did not start");
        }
        catch (Win32Exception e)
        {
            throw new MailboxCredentialException($"the token command {words[0]} cannot be run: {e.Message}");
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(Timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                ct.ThrowIfCancellationRequested();
                throw new MailboxCredentialException($"the token command {words[0]} did not finish within {Timeout.TotalSeconds:0} s");
            }
            var output = await stdout;
            // Its diagnostics may help; its standard output is the token and is never shown.
            var errors = (await stderr).Trim();
            if (process.ExitCode != 0)
                throw new MailboxCredentialException(
                    $"the token command {words[0]} failed with exit code {process.ExitCode}{(errors.Length > 0 ? ": " + Shorten(errors) : "")}");
            return FirstLine(output) ?? throw new MailboxCredentialException($"the token command {words[0]} printed no token");
        }
    }

    private static string Shorten(string text)
    {
        var last = text.Split('\n')[^1].Trim();
        return last.Length > 200 ? last[..200] + "…" : last;
    }

    /// <summary>
    /// Splits a command line into words as a POSIX shell does for plain words: blanks separate them, '…' keeps
    /// everything literally, "…" and a backslash outside quotes keep the next character. Nothing is expanded.
    /// </summary>
    internal static IReadOnlyList<string> Split(string commandLine)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            switch (c)
            {
                case ' ' or '\t' or '\n':
                    if (inWord)
                        words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                    continue;
                case '\'':
                    var close = commandLine.IndexOf('\'', i + 1);
                    if (close < 0)
                        throw new FormatException("unterminated ' in the token command");
                    word.Append(commandLine, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    for (i++; ; i++)
                    {
                        if (i >= commandLine.Length)
                            throw new FormatException("unterminated \" in the token command");
                        if (commandLine[i] == '"')
                            break;
                        if (commandLine[i] == '\\' && i + 1 < commandLine.Length && commandLine[i + 1] is '"' or '\\' or '$' or '`')
                            i++;
                        word.Append(commandLine[i]);
                    }
                    break;
                case '\\' when i + 1 < commandLine.Length:
                    word.Append(commandLine[++i]);
                    break;
                default:
                    word.Append(c);
                    break;
            }
            inWord = true;
        }
        if (inWord)
            words.Add(word.ToString());
        return words.Count > 0 ? words : throw new FormatException("the token command is empty");
    }

    public override string ToString() => $"token command {CommandLine}";
}
