using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using DmarcAnalyzer.Cli;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Web;

namespace DmarcAnalyzer.Tests.Cli;

/// <summary><c>dmarc user add</c> and <c>dmarc serve</c> as a user runs them.</summary>
public sealed partial class ServeCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public async Task UserAddReadsThePasswordFromStandardInputAndHashesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var added = await RunWithInputAsync("long enough password\n", "user", "add", "carol", "--role", "admin", "--db", _folder.File("dmarc.db"));
        Assert.Equal(0, added.ExitCode);
        Assert.Equal("user carol added (admin)", added.Stdout.Trim());
        var changed = await RunWithInputAsync("another password\n", "user", "add", "carol", "--role", "viewer", "--db", _folder.File("dmarc.db"));
        Assert.Equal("user carol changed (viewer)", changed.Stdout.Trim());

        await using var store = await Store.OpenAsync(_folder.File("dmarc.db"), ct);
        var user = (await store.Users.FindAsync("CAROL", ct))!;
        Assert.Equal(UserRole.Viewer, user.Role);
        Assert.StartsWith($"pbkdf2-sha256${PasswordHash.Iterations}$", user.PasswordHash);
        Assert.DoesNotContain("another password", user.PasswordHash);
        Assert.True(PasswordHash.Verify("another password", user.PasswordHash));
        Assert.False(PasswordHash.Verify("long enough password", user.PasswordHash));
    }

    [Fact]
    public async Task UserAddRefusesShortPasswordsAndUnknownRoles()
    {
        Assert.Equal(ExitCodes.Usage, (await RunWithInputAsync("short\n", "user", "add", "dave", "--role", "admin", "--db", _folder.File("dmarc.db"))).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await RunWithInputAsync("long enough password\n", "user", "add", "dave", "--role", "root", "--db", _folder.File("dmarc.db"))).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await RunWithInputAsync("", "user", "add", "dave", "--role", "admin", "--db", _folder.File("dmarc.db"))).ExitCode);
    }

    [Fact]
    public async Task ServeListensOnTheAddressGivenAndAsksForSignIn()
    {
        var ct = TestContext.Current.CancellationToken;
        using var process = Process.Start(WithStdin(DmarcProcess.StartInfo(_folder.Path, "serve", "--listen", "http://127.0.0.1:0", "--db", _folder.File("dmarc.db"))))!;
        try
        {
            string? line;
            Match address;
            do
            {
                line = await process.StandardOutput.ReadLineAsync(ct);
                Assert.NotNull(line);
                address = ServingLine().Match(line);
            }
            while (!address.Success);
            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(address.Groups[1].Value) };
            var overview = await client.GetAsync("/", ct);
            Assert.Equal(HttpStatusCode.Redirect, overview.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/signin", ct)).StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static ProcessStartInfo WithStdin(ProcessStartInfo info)
    {
        info.RedirectStandardInput = true;
        return info;
    }

    private async Task<DmarcProcess.Result> RunWithInputAsync(string input, params string[] args)
    {
        using var process = Process.Start(WithStdin(DmarcProcess.StartInfo(_folder.Path, args)))!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return new DmarcProcess.Result(process.ExitCode, await stdout, await stderr);
    }

    public void Dispose() => _folder.Dispose();

    [GeneratedRegex(@"^serving on (http://\S+)$")]
    private static partial Regex ServingLine();
}
