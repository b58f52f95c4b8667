using System.Diagnostics;

namespace DmarcAnalyzer.Tests.Auth.Arc;

/// <summary>ARC both ways with Debian's python3-dkim (dkim.arc_sign, dkim.arc_verify).</summary>
public sealed class ArcInteropTests() : ArcPeerInteropTests("py")
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import sys, json, dkim
        data = json.load(sys.stdin)
        records = data['records']
        def dnsfunc(name, timeout=5):
            name = name.decode() if isinstance(name, bytes) else name
            value = records.get(name.rstrip('.'))
            return value.encode() if value else None
        if data['mode'] == 'sign':
            msg = data['message'].encode('latin-1')
            for hop in data['hops']:
                arc = dkim.arc_verify(msg, dnsfunc=dnsfunc)[0].decode() if b'\nARC-Seal:' in b'\n' + msg else 'none'
                msg = ('Authentication-Results: %s; spf=pass smtp.mailfrom=joe@example.com; arc=%s\r\n' % (hop['srv_id'], arc)).encode() + msg
                msg = b''.join(dkim.arc_sign(msg, hop['selector'].encode(), hop['domain'].encode(), hop['key'].encode(), hop['srv_id'].encode())) + msg
            print(json.dumps([msg.decode('latin-1')]))
        else:
            print(json.dumps([dkim.arc_verify(m.encode('latin-1'), dnsfunc=dnsfunc)[0].decode() for m in data['messages']]))
        """;

    protected override string Peer => "python3-dkim";

    protected override Task<ProcessStartInfo> StartInfoAsync(string folder)
    {
        if (!File.Exists(Python))
            Assert.Fail($"{Python} is missing: install python3-dkim (test.sh does)");
        return Task.FromResult(new ProcessStartInfo(Python, ["-c", Script]));
    }
}
