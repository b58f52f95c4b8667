using System.Net;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Web;
using Microsoft.Extensions.DependencyInjection;

namespace DmarcAnalyzer.Tests.Web;

/// <summary>
/// Sessions that end when the store says so (password reset, role change, disabled, a day old), and a lockout and a
/// cost of sign-in that hold under parallel attempts.
/// </summary>
public sealed class DashboardSignInTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpStatusCode> HomeAsync(HttpClient client) => (await client.GetAsync("/", Ct)).StatusCode;

    private static async Task AssertSignedOutAsync(HttpClient client)
    {
        var response = await client.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/signin", response.Headers.Location!.PathAndQuery);
    }

    private static async Task<long> FailureRowsAsync(DashboardHarness server)
    {
        await using var count = server.Store.Db.CreateCommand();
        count.CommandText = "SELECT count(*) FROM sign_in_failures";
        return Convert.ToInt64(await count.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task ACookieIssuedBeforeAPasswordResetRoleChangeOrDisablingIsRefused()
    {
        await using var server = await DashboardHarness.StartAsync();
        var admin = new UserAdminQueries(server.Store.Db);
        using var alice = await server.SignedInAsync(DashboardHarness.AdminName);

        using var beforeReset = await server.SignedInAsync(DashboardHarness.ViewerName);
        Assert.Equal(HttpStatusCode.OK, await HomeAsync(beforeReset));
        Assert.Equal(UserChange.Done, await admin.SetPasswordAsync(DashboardHarness.ViewerName, PasswordHash.Hash("victor's new password", 1000),
            DashboardHarness.AdminName, server.Clock.Now, Ct));
        await AssertSignedOutAsync(beforeReset);
        await AssertSignedOutAsync(beforeReset);

        using var beforeRoleChange = server.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(beforeRoleChange, DashboardHarness.ViewerName, "victor's new password")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await HomeAsync(beforeRoleChange));
        Assert.Equal(UserChange.Done, await admin.SetRoleAsync(DashboardHarness.ViewerName, UserRole.Admin, DashboardHarness.AdminName, server.Clock.Now, Ct));
        await AssertSignedOutAsync(beforeRoleChange);

        using var beforeDisabling = server.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(beforeDisabling, DashboardHarness.ViewerName, "victor's new password")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await beforeDisabling.GetAsync("/audit", Ct)).StatusCode);
        Assert.Equal(UserChange.Done, await admin.SetDisabledAsync(DashboardHarness.ViewerName, true, DashboardHarness.AdminName, server.Clock.Now, Ct));
        Assert.Equal(UserChange.Done, await admin.SetDisabledAsync(DashboardHarness.ViewerName, false, DashboardHarness.AdminName, server.Clock.Now, Ct));
        // Enabled again, the user signs in again: the cookie from before stays refused.
        await AssertSignedOutAsync(beforeDisabling);

        // `dmarc user add` over an existing user with a new password (the review's reproduction) ends its sessions too.
        using var beforeUserAdd = server.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(beforeUserAdd, DashboardHarness.ViewerName, "victor's new password")).StatusCode);
        await new UserQueries(server.Store.Db).SaveAsync(DashboardHarness.ViewerName, UserRole.Admin, PasswordHash.Hash("victor's third password", 1000), server.Clock.Now, Ct);
        await AssertSignedOutAsync(beforeUserAdd);
        using var after = server.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardHarness.SignInAsync(after, DashboardHarness.ViewerName, "victor's third password")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, await HomeAsync(after));

        // Changes to another user leave a session alone.
        Assert.Equal(HttpStatusCode.OK, await HomeAsync(alice));
    }

    [Fact]
    public async Task ASessionEndsADayAfterSigningInHoweverBusy()
    {
        await using var server = await DashboardHarness.StartAsync();
        using var viewer = await server.SignedInAsync(DashboardHarness.ViewerName);
        server.Clock.Now += Session.MaxAge - TimeSpan.FromMinutes(1);
        Assert.Equal(HttpStatusCode.OK, await HomeAsync(viewer));
        server.Clock.Now += TimeSpan.FromMinutes(2);
        await AssertSignedOutAsync(viewer);
    }

    [Fact]
    public async Task ParallelGuessesGetNoMoreTriesThanTheLockAllows()
    {
        await using var server = await DashboardHarness.StartAsync(o => o with { PasswordChecksAtOnce = 20, PasswordChecksQueued = 0 });
        // One anti-forgery token and cookie pair serves every request, as it would an attacker.
        using var client = server.Client();
        var page = await client.GetStringAsync("/signin", Ct);
        var token = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value);
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var response = await client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = token, ["name"] = DashboardHarness.ViewerName, ["password"] = $"guess number {i}",
            }), Ct);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
        }));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        var checkedPasswords = responses.Count(r => r.Body.Contains("Wrong user name or password", StringComparison.Ordinal));
        // Attempts that cross may all be refused; never more than the lock allows get their password checked.
        Assert.InRange(checkedPasswords, 0, SignInGuard.MaxFailures);
        Assert.Equal(20 - checkedPasswords, responses.Count(r => r.Body.Contains("locked", StringComparison.Ordinal)));
        var right = await DashboardHarness.SignInAsync(server.Client(), DashboardHarness.ViewerName, DashboardHarness.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        Assert.Contains("locked", await right.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task SignInsWaitForAPasswordCheckAndThoseBeyondTheQueueAreTurnedAway()
    {
        await using var server = await DashboardHarness.StartAsync(o => o with { PasswordChecksAtOnce = 1, PasswordChecksQueued = 1 });
        var checks = server.App.Services.GetRequiredService<SignInGuard>().PasswordChecks;
        var held = await checks.AcquireAsync(1, Ct);
        Assert.True(held.IsAcquired);

        var waiting = DashboardHarness.SignInAsync(server.Client(), DashboardHarness.ViewerName, DashboardHarness.Password);
        while (checks.GetStatistics()!.CurrentQueuedCount == 0)
            await Task.Delay(10, Ct);
        var turnedAway = await DashboardHarness.SignInAsync(server.Client(), DashboardHarness.AdminName, "a wrong password");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, turnedAway.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), turnedAway.Headers.RetryAfter!.Delta);
        Assert.Contains("busy", await turnedAway.Content.ReadAsStringAsync(Ct));
        // Turned away before its password was checked, so it is no failure.
        Assert.Equal(0L, await FailureRowsAsync(server));

        held.Dispose();
        Assert.Equal(HttpStatusCode.Redirect, (await waiting).StatusCode);
    }

    [Fact]
    public async Task FailedSignInsOfEveryNameAreForgottenOnceTheyCanNoLongerLock()
    {
        await using var server = await DashboardHarness.StartAsync();
        using var client = server.Client();
        foreach (var name in new[] { DashboardHarness.ViewerName, DashboardHarness.AdminName, "nobody", DashboardHarness.ViewerName })
            Assert.Equal(HttpStatusCode.Unauthorized, (await DashboardHarness.SignInAsync(client, name, "a wrong password")).StatusCode);
        Assert.Equal(4L, await FailureRowsAsync(server));

        server.Clock.Now += SignInGuard.Window + SignInGuard.LockTime + TimeSpan.FromMinutes(1);
        Assert.Equal(HttpStatusCode.Unauthorized, (await DashboardHarness.SignInAsync(client, "someone else", "a wrong password")).StatusCode);
        Assert.Equal(1L, await FailureRowsAsync(server));
    }
}
