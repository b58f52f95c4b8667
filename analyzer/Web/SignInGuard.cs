using System.Threading.RateLimiting;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Web;

/// <summary>
/// Checks a name and password against the users in the store (read at each sign-in, so users added while the server
/// runs can sign in), with the lockout: after <see cref="MaxFailures"/> failed sign-ins within <see cref="Window"/>
/// the account is locked for <see cref="LockTime"/> from the last of them, and no password is checked meanwhile.
/// </summary>
/// <remarks>
/// The lockout holds under parallel attempts: each attempt is written down as a failure before its password is
/// checked, then the failures are read again, and it goes on only when fewer than <see cref="MaxFailures"/> came
/// before it; a right password then clears them. Attempts that cross cannot both pass: the later one sees the
/// earlier one's row. This also holds between servers on one store. PBKDF2 is the cost of an attempt, and anyone
/// may make one: <see cref="PasswordChecks"/> lets a few run at once and queues a few more; the rest are told the
/// server is busy, so a flood of sign-ins cannot take every core. Failures are forgotten after
/// <see cref="Window"/> plus <see cref="LockTime"/> for every name, so the table holds at most what the checks
/// allowed in that time.
/// </remarks>
internal sealed class SignInGuard(ServeOptions options) : IDisposable
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan LockTime = TimeSpan.FromMinutes(15);

    // Unknown names cost the same PBKDF2 work as known ones, so the time taken does not tell which names exist.
    private static readonly string DummyHash = PasswordHash.Hash("not a password");

    /// <summary>The password checks under way and waiting (<see cref="ServeOptions.PasswordChecksAtOnce"/>, <see cref="ServeOptions.PasswordChecksQueued"/>).</summary>
    public ConcurrencyLimiter PasswordChecks { get; } = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.PasswordChecksAtOnce,
        QueueLimit = options.PasswordChecksQueued,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public async Task<(SignInOutcome Outcome, UserCredentials? User)> TryAsync(UserQueries users, string name, string password, CancellationToken ct)
    {
        var now = options.Time.GetUtcNow().ToUnixTimeSeconds();
        if (IsLocked(await users.FailuresSinceAsync(name, Remembered(now), ct), now))
            return (SignInOutcome.LockedOut, null);

        using var lease = await PasswordChecks.AcquireAsync(1, ct);
        if (!lease.IsAcquired)
            return (SignInOutcome.Busy, null);
        now = options.Time.GetUtcNow().ToUnixTimeSeconds();
        await users.AddFailureAsync(name, now, Remembered(now), ct);
        await users.ForgetFailuresAsync(Remembered(now), ct);
        var failures = (await users.FailuresSinceAsync(name, Remembered(now), ct)).ToList();
        // The attempt's own row is not one that came before it.
        failures.Remove(now);
        if (IsLocked(failures, now))
            return (SignInOutcome.LockedOut, null);

        var user = await users.CredentialsAsync(name, ct);
        if (PasswordHash.Verify(password, user?.PasswordHash ?? DummyHash) && user is not null)
        {
            await users.ClearFailuresAsync(name, ct);
            return (SignInOutcome.SignedIn, user);
        }
        return (SignInOutcome.WrongNameOrPassword, null);
    }

    public void Dispose() => PasswordChecks.Dispose();

    /// <summary>The oldest failure that can still count towards a lock at <paramref name="now"/>.</summary>
    private static long Remembered(long now) => now - (long)(Window + LockTime).TotalSeconds;

    /// <summary>Whether some run of <see cref="MaxFailures"/> failures within the window still locks the account at <paramref name="now"/>.</summary>
    private static bool IsLocked(IReadOnlyList<long> failures, long now)
    {
        for (var last = failures.Count - 1; last >= MaxFailures - 1; last--)
            if (failures[last] - failures[last - MaxFailures + 1] <= (long)Window.TotalSeconds)
                return now < failures[last] + (long)LockTime.TotalSeconds;
        return false;
    }
}
