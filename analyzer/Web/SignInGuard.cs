using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Web;

/// <summary>
/// Checks a name and password against the users in the store (read at each sign-in, so users added while the server
/// runs can sign in), with the lockout: after <see cref="MaxFailures"/> failed sign-ins within <see cref="Window"/>
/// the account is locked for <see cref="LockTime"/> from the last of them, and no password is checked meanwhile.
/// </summary>
internal static class SignInGuard
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan LockTime = TimeSpan.FromMinutes(15);

    // Unknown names cost the same PBKDF2 work as known ones, so the time taken does not tell which names exist.
    private static readonly string DummyHash = PasswordHash.Hash("not a password");

    public static async Task<(SignInOutcome Outcome, UserRow? User)> TryAsync(UserQueries users, string name, string password, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var failures = await users.FailuresSinceAsync(name, now - (long)(Window + LockTime).TotalSeconds, ct);
        if (LockedUntil(failures) is { } until && now < until)
            return (SignInOutcome.LockedOut, null);

        var user = await users.FindAsync(name, ct);
        if (user is not null && PasswordHash.Verify(password, user.PasswordHash))
        {
            await users.ClearFailuresAsync(name, ct);
            return (SignInOutcome.SignedIn, user);
        }
        if (user is null)
            PasswordHash.Verify(password, DummyHash);
        await users.AddFailureAsync(name, now, now - (long)(Window + LockTime).TotalSeconds, ct);
        return (SignInOutcome.WrongNameOrPassword, null);
    }

    /// <summary>When the newest run of <see cref="MaxFailures"/> failures within the window ends its lock, or null.</summary>
    private static long? LockedUntil(IReadOnlyList<long> failures)
    {
        for (var last = failures.Count - 1; last >= MaxFailures - 1; last--)
            if (failures[last] - failures[last - MaxFailures + 1] <= (long)Window.TotalSeconds)
                return failures[last] + (long)LockTime.TotalSeconds;
        return null;
    }
}
