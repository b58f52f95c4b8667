using System.Net.Sockets;
using System.Text;

namespace DmarcAnalyzer.Tests.Milter;

/// <summary>A minimal SMTP client (RFC 5321) for sending one message to the test Postfix.</summary>
internal static class SmtpTestClient
{
    /// <summary>Sends a message and returns the server's final reply to it ("250 ..." or "550 ...").</summary>
    public static async Task<string> SendAsync(int port, string sender, string recipient, byte[] message, CancellationToken ct,
        (string User, string Password)? login = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, ct);
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.Latin1);
        async Task<string> ReplyAsync()
        {
            string line;
            var all = new StringBuilder();
            do
            {
                line = await reader.ReadLineAsync(ct) ?? throw new IOException($"SMTP server closed the connection after: {all}");
                all.AppendLine(line);
            } while (line.Length > 3 && line[3] == '-');
            return all.ToString().TrimEnd();
        }
        async Task<string> CommandAsync(string command, char expect)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), ct);
            var reply = await ReplyAsync();
            if (reply[0] != expect)
                throw new SmtpRefusedException(reply);
            return reply;
        }
        try
        {
            await ReplyAsync();
            await CommandAsync("EHLO client.test.example", '2');
            if (login is var (user, password))
            {
                // RFC 4954 AUTH with the PLAIN mechanism (RFC 4616): authzid NUL authcid NUL password.
                var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
                await CommandAsync($"AUTH PLAIN {plain}", '2');
            }
            await CommandAsync($"MAIL FROM:<{sender}>", '2');
            await CommandAsync($"RCPT TO:<{recipient}>", '2');
            await CommandAsync("DATA", '3');
            await stream.WriteAsync(DotStuff(message), ct);
            await stream.WriteAsync(".\r\n"u8.ToArray(), ct);
            var final = await ReplyAsync();
            await stream.WriteAsync("QUIT\r\n"u8.ToArray(), ct);
            return final;
        }
        catch (SmtpRefusedException e)
        {
            return e.Message;
        }
    }

    /// <summary>RFC 5321 §4.5.2: a line starting with a dot gets another; the message ends with CRLF.</summary>
    private static byte[] DotStuff(byte[] message)
    {
        var text = Encoding.Latin1.GetString(message).ReplaceLineEndings("\r\n");
        if (!text.EndsWith("\r\n", StringComparison.Ordinal))
            text += "\r\n";
        text = (text.StartsWith('.') ? "." : "") + text.Replace("\r\n.", "\r\n..");
        return Encoding.Latin1.GetBytes(text);
    }

    private sealed class SmtpRefusedException(string reply) : Exception(reply);
}
