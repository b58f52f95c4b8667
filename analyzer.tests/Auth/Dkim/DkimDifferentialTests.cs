using System.Text;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Auth;
using DmarcAnalyzer.Auth.Dkim;
using DmarcAnalyzer.Dns;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace DmarcAnalyzer.Tests.Auth.Dkim;

/// <summary>
/// Issue 16's evidence for keeping our DKIM verifier: every signature of the corpus's DKIM vectors (mail-dkim,
/// mail-auth, authentication_milter) verified by ours, by MimeKit's DkimVerifier and by python3-dkim, with the
/// same key records and clock. The RFC 8301 limits are lifted in the two peers (and read from ours' policy
/// reason) so that the cryptography and the tag rules are compared; each signature's verdict is "verifies",
/// "fails" or "error" (signature or key unusable, DNS failure). The differences are pinned below, each with
/// the rule it is about.
/// </summary>
public sealed partial class DkimDifferentialTests
{
    private sealed record Case(string Name, byte[] Message, FakeDnsResolver Dns, DateTimeOffset Now);

    private sealed record Row(string Case, int Index, string Ours, string OursVerdict, string MimeKit, string Python);

    /// <summary>Where MimeKit's verdict is not ours (ours in each case is what RFC 6376 says).</summary>
    private static readonly Dictionary<string, string> MimeKitDifferences = new()
    {
        ["mail-dkim/good_qp_2.txt#0"] = "i= is dkim-quoted-printable (RFC 6376 §3.5); MimeKit compares it undecoded",
        ["mail-dkim/good_qp_3.txt#0"] = "the same: i=jlong=40messiah.edu is jlong@messiah.edu",
        ["mail-dkim/ignore_5.txt#0"] = "q=http: no supported query method is permerror (RFC 6376 §3.5); MimeKit ignores q=",
        ["mail-dkim/ignore_6.txt#0"] = "q=dns/special: the same",
        ["mail-dkim/ignore_7.txt#0"] = "x= in the past: the signature is ignored (RFC 6376 §3.5, §6.1.1); MimeKit never reads x=",
        ["mail-dkim/badkey_10.txt#0"] = "key t=s with i= in a subdomain of d= (RFC 6376 §3.6.1); MimeKit ignores the key's t=",
        ["mail-dkim/badkey_11.txt#0"] = "key h=md5:sha1 excludes the signature's sha256 (RFC 6376 §3.6.1); MimeKit ignores the key's h=",
        ["mail-dkim/badkey_14.txt#0"] = "key lookup timed out (temperror, RFC 6376 §6.1.2); MimeKit hashes the body before the key is asked and says false",
        ["mail-dkim/badkey_15.txt#0"] = "the same",
        ["mail-dkim/badkey1_ed25519.txt#0"] = "Ed25519 p= of 44 bytes is no key (permerror, RFC 8463 §4); MimeKit says false",
        ["mail-dkim/badkey4_ed25519.txt#0"] = "no key record (permerror, RFC 6376 §6.1.2); MimeKit says false",
        ["mail-dkim/badkey5_ed25519.txt#0"] = "key record without p= (permerror); MimeKit says false",
        ["mail-auth/002.txt#0"] = "p= is a bare RSAPublicKey, which some publish: ours and python3-dkim take it, MimeKit throws",
    };

    /// <summary>Where python3-dkim's verdict is not ours.</summary>
    private static readonly Dictionary<string, string> PythonDifferences = new()
    {
        ["mail-dkim/good_83176.txt#0"] = "q=foo/bar:dns/txt:exam/ple lists dns/txt among others (RFC 6376 §3.5); dkimpy wants q= to be dns/txt alone",
        ["mail-dkim/good_qp_2.txt#0"] = "i= is dkim-quoted-printable (RFC 6376 §3.5); dkimpy compares it undecoded",
        ["mail-dkim/good_qp_3.txt#0"] = "the same",
        ["mail-dkim/goodkey_2.txt#0"] = "a key record without k= and with unknown tags and flags is rsa (RFC 6376 §3.6.1: unknown ones are ignored); dkimpy refuses it",
        ["mail-dkim/badkey_10.txt#0"] = "key t=s with i= in a subdomain of d= (RFC 6376 §3.6.1); dkimpy ignores the key's t=",
    };

    [Fact]
    public async Task OursMimeKitAndPythonDkimAgreeExceptWherePinned()
    {
        var cases = Cases();
        var python = await PythonVerdictsAsync(cases);
        var rows = new List<Row>();
        for (var c = 0; c < cases.Count; c++)
        {
            var ours = await new DmarcAnalyzer.Auth.Dkim.DkimVerifier(cases[c].Dns, new FixedTime(cases[c].Now))
                .VerifyAsync(new MemoryStream(cases[c].Message), CancellationToken.None);
            var mimeKit = await MimeKitVerdictsAsync(cases[c]);
            Assert.Equal(ours.Count, mimeKit.Count);
            Assert.Equal(ours.Count, python[c].Count);
            for (var i = 0; i < ours.Count; i++)
                rows.Add(new Row(cases[c].Name, i, $"{ours[i].Result.Word()} ({ours[i].Reason})", Verdict(ours[i]), mimeKit[i], python[c][i]));
        }

        var table = string.Join("\n", rows.Select(r => $"{r.Case}#{r.Index}\tours {r.OursVerdict}: {r.Ours}\tmimekit {r.MimeKit}\tpython {r.Python}"));
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        Assert.True(rows.Count > 80, table);
        var mimeKitDiffers = rows.Where(r => Word(r.MimeKit) != r.OursVerdict).Select(r => $"{r.Case}#{r.Index}").ToHashSet();
        var pythonDiffers = rows.Where(r => Word(r.Python) != r.OursVerdict).Select(r => $"{r.Case}#{r.Index}").ToHashSet();
        Assert.True(mimeKitDiffers.SetEquals(MimeKitDifferences.Keys), "MimeKit:\n" + Differences(rows, mimeKitDiffers, r => r.MimeKit));
        Assert.True(pythonDiffers.SetEquals(PythonDifferences.Keys), "python3-dkim:\n" + Differences(rows, pythonDiffers, r => r.Python));
    }

    private static string Differences(List<Row> rows, HashSet<string> keys, Func<Row, string> theirs) =>
        string.Join("\n", rows.Where(r => keys.Contains($"{r.Case}#{r.Index}"))
            .Select(r => $"[\"{r.Case}#{r.Index}\"] = ours {r.OursVerdict}: {r.Ours}; theirs {theirs(r)}"));

    private static string Word(string verdict) => verdict.Split(' ')[0];

    /// <summary>Ours with the RFC 8301 refusal read through: policy says what the signature would otherwise give.</summary>
    private static string Verdict(DkimResult r) => r.Result switch
    {
        DkimResultCode.Pass => "verifies",
        DkimResultCode.Fail => "fails",
        DkimResultCode.Policy when r.Reason!.EndsWith("otherwise it verifies", StringComparison.Ordinal) => "verifies",
        DkimResultCode.Policy when r.Reason!.Contains("; otherwise", StringComparison.Ordinal) => "fails",
        _ => "error",
    };

    private static List<Case> Cases()
    {
        var cases = new List<Case>();
        var mailDkim = Corpus.Require("dkim", "mail-dkim");
        var mailDkimDns = DkimCorpusTests.LoadFakeDns(Path.Combine(mailDkim, "FAKE_DNS.dat"));
        foreach (var line in File.ReadLines(Path.Combine(mailDkim, "EXPECTED.tsv")).Where(l => !l.StartsWith('#')).Skip(1))
        {
            var file = line.Split('\t')[0];
            cases.Add(new Case("mail-dkim/" + file, Crlf(File.ReadAllBytes(Path.Combine(mailDkim, file))), mailDkimDns,
                DateTimeOffset.Parse("2010-01-01T00:00:00Z")));
        }

        // mail-auth: key records, an empty line, then the message; its own test verifies at this time.
        var mailAuth = Corpus.Require("dkim", "mail-auth");
        foreach (var path in Directory.GetFiles(mailAuth, "*.txt").Order())
        {
            var text = File.ReadAllText(path, Encoding.Latin1);
            var split = text.IndexOf("\n\n", StringComparison.Ordinal);
            var dns = new FakeDnsResolver();
            foreach (var record in text[..split].Split('\n', StringSplitOptions.RemoveEmptyEntries))
                dns.Txt(record[..record.IndexOf(' ')], record[(record.IndexOf(' ') + 1)..].Trim());
            cases.Add(new Case("mail-auth/" + Path.GetFileName(path), Crlf(Encoding.Latin1.GetBytes(text[(split + 2)..])), dns,
                DateTimeOffset.FromUnixTimeSeconds(1667843664)));
        }

        var milter = Corpus.Require("dkim", "authentication_milter");
        var milterDns = AuthenticationMilterCorpusTests.LoadZone(Path.Combine(milter, "zonefile"));
        foreach (var path in Directory.GetFiles(Path.Combine(milter, "source"), "*.eml").Order())
            cases.Add(new Case("authentication_milter/" + Path.GetFileName(path), Crlf(File.ReadAllBytes(path)), milterDns,
                DateTimeOffset.Parse("2016-01-01T00:00:00Z")));
        return cases.Where(c => Regex.Count(Encoding.Latin1.GetString(c.Message), "^DKIM-Signature:", RegexOptions.Multiline | RegexOptions.IgnoreCase) > 0).ToList();
    }

    private static byte[] Crlf(byte[] message) =>
        Encoding.Latin1.GetBytes(BareLf().Replace(Encoding.Latin1.GetString(message), "\r\n"));

    [GeneratedRegex("(?<!\r)\n")]
    private static partial Regex BareLf();

    private static async Task<List<string>> MimeKitVerdictsAsync(Case c)
    {
        var message = await MimeMessage.LoadAsync(new MemoryStream(c.Message), TestContext.Current.CancellationToken);
        var verifier = new MimeKit.Cryptography.DkimVerifier(new ResolverKeyLocator(c.Dns)) { MinimumRsaKeyLength = 256 };
        verifier.Enable(DkimSignatureAlgorithm.RsaSha1);
        var verdicts = new List<string>();
        foreach (var field in message.Headers.Where(h => h.Id == HeaderId.DkimSignature))
        {
            try
            {
                verdicts.Add(await verifier.VerifyAsync(message, field, TestContext.Current.CancellationToken) ? "verifies" : "fails");
            }
            catch (Exception e)
            {
                verdicts.Add($"error ({e.GetType().Name}: {e.Message})");
            }
        }
        return verdicts;
    }

    private sealed class KeyUnavailableException(string message) : Exception(message);

    /// <summary>MimeKit's key lookup over the same in-memory DNS; DkimPublicKeyLocatorBase parses the record.</summary>
    private sealed class ResolverKeyLocator(IDnsResolver dns) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken ct = default) =>
            throw new NotSupportedException("only the asynchronous lookup is used");

        public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken ct = default)
        {
            var lookup = await dns.TxtAsync($"{selector}._domainkey.{domain}", ct);
            return lookup.Outcome == DnsOutcome.Found
                ? GetPublicKey(lookup.Records[0])
                : throw new KeyUnavailableException($"{lookup.Outcome} {lookup.Error}");
        }
    }

    private const string VerifyScript = """
        import sys, json, time, logging, re, dkim
        class Errors(logging.Handler):
            def __init__(self):
                super().__init__(logging.ERROR)
                self.last = None
            def emit(self, record):
                self.last = record.getMessage()
        job = json.load(sys.stdin)
        out = []
        for case in job:
            records = case["records"]
            failing = set(case["failing"])
            def dnsfunc(name, timeout=5):
                n = name.decode().rstrip(".").lower()
                if n in failing:
                    raise dkim.DnsTimeoutError("timed out")
                return records[n][0].encode("latin-1") if n in records else None
            now = case["now"]
            time.time = lambda: now
            message = case["message"].encode("latin-1")
            errors = Errors()
            logger = logging.getLogger("dkim-differential")
            logger.handlers = [errors]
            logger.propagate = False
            header = message.split(b"\r\n\r\n", 1)[0]
            count = len(re.findall(rb"^dkim-signature[ \t]*:", header, re.I | re.M))
            verdicts = []
            for i in range(count):
                errors.last = None
                try:
                    ok = dkim.DKIM(message, logger=logger, minkey=256).verify(idx=i, dnsfunc=dnsfunc)
                    verdicts.append("verifies" if ok else "fails" if errors.last is None else "error (" + errors.last + ")")
                except Exception as e:
                    verdicts.append(("fails (" if "body hash mismatch" in str(e) else "error (") + type(e).__name__ + ": " + str(e) + ")")
            out.append(verdicts)
        json.dump(out, sys.stdout)
        """;

    private static async Task<List<List<string>>> PythonVerdictsAsync(List<Case> cases) =>
        await PythonDkim.RunAsync<List<List<string>>>(VerifyScript, cases.Select(c => new
        {
            message = Encoding.Latin1.GetString(c.Message),
            records = c.Dns.TxtRecords,
            failing = c.Dns.FailingNames,
            now = c.Now.ToUnixTimeSeconds(),
        }).ToList());
}
