using System.Globalization;
using System.Security.Claims;
using DmarcAnalyzer.Storage;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace DmarcAnalyzer.Web;

/// <summary>
/// What a sign-in cookie carries beside the name and role: the user's stamp when it was issued and when the user
/// signed in. The session holds while the user is enabled with that stamp (no password reset, role change or
/// disabling since) and for at most <see cref="MaxAge"/> from signing in, however busy: a stolen or shared cookie
/// does not outlive the reset meant to end it.
/// </summary>
internal static class Session
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

    private const string StampClaim = "dmarc:stamp";
    private const string SignedInClaim = "dmarc:signed-in";

    public static ClaimsPrincipal Principal(UserCredentials user, DateTimeOffset now) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.Name, user.Name),
        new Claim(ClaimTypes.Role, UserQueries.RoleText(user.Role)),
        new Claim(StampClaim, user.Stamp.ToString(CultureInfo.InvariantCulture)),
        new Claim(SignedInClaim, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
    ], CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>Whether the session of <paramref name="principal"/> still holds for <paramref name="user"/> as the store has it now (null: gone or disabled).</summary>
    public static bool Holds(ClaimsPrincipal principal, UserCredentials? user, DateTimeOffset now) =>
        user is not null
        && principal.FindFirst(StampClaim)?.Value == user.Stamp.ToString(CultureInfo.InvariantCulture)
        && principal.IsInRole(UserQueries.RoleText(user.Role))
        && long.TryParse(principal.FindFirst(SignedInClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var signedIn)
        && now - DateTimeOffset.FromUnixTimeSeconds(signedIn) < MaxAge;
}
