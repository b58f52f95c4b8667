using System.Text.Json;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Auth.Spf;

namespace DmarcAnalyzer.Tests.Auth;

/// <summary>
/// fastmail/authentication_milter's milter cases, replayed through <see cref="MessageAuthenticator"/>: its zone file
/// answers DNS, its own SPF verdict (from the expected output) is our SPF input, and our dkim and dmarc results
/// must match the ones it wrote. Real 2015 Google-signed mail is among them. Two known differences: for local
/// connections it wrote no spf or dmarc (we compare dkim only), and for a message with two From fields it evaluated
/// each domain where we follow RFC 5322 and RFC 9989 and report permerror.
/// </summary>
public sealed partial class AuthenticationMilterCorpusTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        var path = Path.Combine(Corpus.Root, "dkim", "authentication_milter", "cases.json");
        if (!File.Exists(path))
        {
            data.Add("(corpus missing)", "");
            return data;
        }
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var c in json.RootElement.GetProperty("cases").EnumerateArray())
            if (c.GetProperty("server_config").GetString() == "normal")
                data.Add(c.GetProperty("source").GetString()!, c.GetProperty("dest").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task DkimAndDmarcMatch(string source, string dest)
    {
        var folder = Corpus.Require("dkim", "authentication_milter");
        var theirs = await OurIdResultsAsync(Path.Combine(folder, "expected", dest));
        var spf = theirs.SingleOrDefault(r => r.Method == "spf");
        var mailFrom = spf?.Properties.FirstOrDefault(p => p.Property == "smtp.mailfrom").Value ?? "";
        var spfOutcome = new SpfOutcome(AuthenticationResultWords.SpfResult(spf?.Result ?? "none") ?? SpfResultCode.None, mailFrom[(mailFrom.LastIndexOf('@') + 1)..]);

        await using var message = File.OpenRead(Path.Combine(folder, "source", source));
        var ours = await new MessageAuthenticator(LoadZone(Path.Combine(folder, "zonefile")), "test.module")
            .AuthenticateAsync(message, spfOutcome, CancellationToken.None);

        var theirDkim = theirs.Where(r => r.Method == "dkim").Select(r => r.Result).Order().ToList();
        var ourDkim = ours.Dkim.Count == 0 ? ["none"] : ours.Dkim.Select(r => r.Result.Word()).Order().ToList();
        Assert.Equal(theirDkim, ourDkim);
        var theirDmarc = theirs.Where(r => r.Method == "dmarc").Select(r => r.Result).ToList();
        if (theirDmarc.Count > 1)
        {
            Assert.Equal((DmarcResultCode.PermError, "2 From header fields"), (ours.Dmarc.Result, ours.Dmarc.Reason));
            return;
        }
        if (theirDmarc.Count == 1)
            Assert.True(theirDmarc[0] == ours.Dmarc.Result.Word(), $"dmarc: theirs {theirDmarc[0]}, ours {ours.Dmarc.Result} ({ours.Dmarc.Reason})");
    }

    private static async Task<IReadOnlyList<AuthenticationResult>> OurIdResultsAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        var reader = await RawMessageReader.ReadHeaderAsync(stream, CancellationToken.None);
        return reader.Fields
            .Where(f => f.Name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase))
            .Select(f => AuthenticationResultsParser.Parse(f.Value)!)
            .First(h => h.AuthservId == "test.module").Results;
    }

    /// <summary>The corpus zone file: "name [ttl] [IN] TYPE data", TXT data as quoted or bare strings, maybe in parentheses.</summary>
    internal static FakeDnsResolver LoadZone(string path)
    {
        var dns = new FakeDnsResolver();
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(';') || string.IsNullOrWhiteSpace(line))
                continue;
            var match = ZoneLine().Match(line);
            if (!match.Success)
                continue;
            var (name, type, data) = (match.Groups["name"].Value, match.Groups["type"].Value, match.Groups["data"].Value.Trim());
            if (type == "A")
                dns.A(name, data);
            else if (type == "TXT" && data.Length > 0)
                dns.Txt(name, string.Concat(ZoneString().Matches(data.Trim('(', ')', ' ')).Select(m => m.Groups["q"].Success ? m.Groups["q"].Value : m.Value)));
        }
        return dns;
    }

    [GeneratedRegex(@"^(?<name>\S+)\s+(?:\d+\s+)?(?:IN\s+)?(?<type>[A-Z]+)\b\s*(?<data>.*)$")]
    private static partial Regex ZoneLine();

    [GeneratedRegex("\"(?<q>[^\"]*)\"|[^\\s\"]+")]
    private static partial Regex ZoneString();
}
