using System.Text;
using DmarcAnalyzer.Auth.Dmarc;
using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Tests.Auth;
using DmarcAnalyzer.Tests.Auth.Arc;
using Microsoft.Extensions.Logging.Abstractions;
using DmarcAnalyzer.Auth;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>The filter with ARC: a trusted sealer's chain lifts DMARC enforcement; our seal goes on last.</summary>
public sealed class ArcFilterTests
{
    private static async Task<Verdict> DecideAsync(string sealer, bool seal)
    {
        var (pem, record) = ArcTestChains.RsaKey();
        var (ourPem, ourRecord) = ArcTestChains.RsaKey();
        var dns = new FakeDnsResolver()
            .Txt("_dmarc.example.com", "v=DMARC1; p=reject")
            .Txt("example.com", "v=spf1 -all")
            .Txt("arc._domainkey.lists.example.org", record)
            .Txt("arc._domainkey.evil.example", record)
            .Txt("us._domainkey.us.example", ourRecord);
        var message = ArcTestChains.Seal(ArcTestChains.Message, ArcTestChains.Private(pem), sealer, "arc",
            "mx.lists.example.org; dmarc=pass header.from=example.com; arc=none");
        using var folder = new TempFolder();
        await File.WriteAllTextAsync(folder.File("arc.pem"), ourPem);
        var arc = new ArcOptions
        {
            TrustedSealers = ["lists.example.org"],
            Seal = seal ? new ArcSealOptions { Domain = "us.example", Selector = "us", KeyFile = folder.File("arc.pem") } : null,
        };
        arc.Seal?.Load();
        var options = new FilterOptions { Authentication = new AuthenticationOptions { EnforceDmarc = true }, Arc = arc };
        var engine = new FilterEngine(() => options, TimeProvider.System, NullLogger<FilterEngine>.Instance,
            new MessageAuthenticator(dns, "mx.us.example"));
        var bytes = Encoding.Latin1.GetBytes(message);
        var envelope = new MessageEnvelope("Q1", "192.0.2.1", null, "lists.example.org", "joe@example.com", ["bob@us.example"], null, "smtpd");
        return await engine.DecideAsync(envelope, Fields(message), new MemoryStream(bytes), MessageCompleteness.Whole, TestContext.Current.CancellationToken);
    }

    /// <summary>The header fields as the MTA passes them: folded ones whole, the value after the colon and its space.</summary>
    private static List<(string Name, string Value)> Fields(string message)
    {
        var fields = new List<(string Name, string Value)>();
        foreach (var line in message[..message.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n"))
        {
            if (line.Length > 0 && line[0] is ' ' or '\t')
                fields[^1] = (fields[^1].Name, fields[^1].Value + "\r\n" + line);
            else
                fields.Add((line[..line.IndexOf(':')], line[(line.IndexOf(':') + 1)..].TrimStart()));
        }
        return fields;
    }

    [Fact]
    public async Task ATrustedSealerLiftsDmarcRejectAndOurSealGoesOnTop()
    {
        var verdict = await DecideAsync("lists.example.org", seal: true);
        Assert.Equal(VerdictAction.Accept, verdict.Action);
        Assert.Equal("fail", verdict.Dmarc);
        Assert.Contains("DMARC fail overridden: forwarded (arc=pass, trusted sealer lists.example.org)", verdict.Reason);
        var results = Assert.Single(verdict.HeaderEdits, e => e.Name == "Authentication-Results" && e.Value is not null).Value!;
        Assert.Contains("arc override: forwarded", results);
        Assert.Contains("arc=pass", results);
        Assert.Contains("smtp.remote-ip=192.0.2.1", results);
        var last = verdict.HeaderEdits.TakeLast(3).ToList();
        Assert.Equal(["ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"], last.Select(e => e.Name));
        Assert.All(last, e => Assert.True(e.OnTop));
        Assert.Contains("cv=pass", last[2].Value);
        Assert.Contains("i=2", last[2].Value);
    }

    [Fact]
    public async Task AnUntrustedSealerIsHandledAsBefore()
    {
        var verdict = await DecideAsync("evil.example", seal: false);
        Assert.Equal(VerdictAction.Reject, verdict.Action);
    }
}
