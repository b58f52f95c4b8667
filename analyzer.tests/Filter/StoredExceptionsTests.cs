using DmarcAnalyzer.Filter;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Tests.Analysis;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmarcAnalyzer.Tests.Filter;

/// <summary>Exceptions approved in the store (on the dashboard) apply to a running filter engine once re-read, beside the configuration's.</summary>
public sealed class StoredExceptionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    internal static async Task<VerdictAction> DecideAsync(FilterEngine engine, string sender)
    {
        var message = TestMessages.Multipart(sender, TestMessages.Attachment("invoice.zip", TestMessages.EncryptedZip("invoice.doc"), "application/zip"));
        var envelope = new MessageEnvelope("Q1", "192.0.2.1", "mx.partner.example", "mx.partner.example", sender, ["bob@example.net"], null, "smtpd");
        var verdict = await engine.DecideAsync(envelope, TestMessages.Headers(message), new MemoryStream(message), MessageCompleteness.Whole,
            TestContext.Current.CancellationToken);
        return verdict.Action;
    }

    internal static (FilterEngine Engine, StoredExceptions Stored) Engine(TestStore store, TimeProvider time)
    {
        var stored = new StoredExceptions(_ => Store.OpenAsync(store.DatabasePath, CancellationToken.None), time, NullLogger<StoredExceptions>.Instance);
        var options = new FilterOptions { Exceptions = [new FilterException { Sender = "configured.example", ApprovedBy = "it", Reason = "file" }] };
        return (new FilterEngine(() => options, time, NullLogger<FilterEngine>.Instance, approvedExceptions: () => stored.Current), stored);
    }

    [Fact]
    public async Task AnApprovalAppliesWithoutARestartAndOnlyUntilItsExpiry()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await TestStore.CreateAsync();
        var time = new Web.ManualClock(Now);
        var (engine, stored) = Engine(store, time);
        await stored.RefreshAsync(ct);
        Assert.Equal(VerdictAction.Reject, await DecideAsync(engine, "billing@partner.example"));
        Assert.Equal(VerdictAction.Accept, await DecideAsync(engine, "anyone@configured.example"));

        var requested = await new ArchiveExceptionQueries(store.Db).RequestAsync("billing@partner.example", null, "invoices", "victor", Now, ct);
        var rejected = await new ArchiveExceptionQueries(store.Db).RequestAsync("other.example", null, "no", "victor", Now, ct);
        await stored.RefreshAsync(ct);
        Assert.Equal(VerdictAction.Reject, await DecideAsync(engine, "billing@partner.example"));

        await new ArchiveExceptionQueries(store.Db).DecideAsync(requested, ExceptionState.Approved, new DateOnly(2026, 3, 31), "alice", Now, ct);
        await new ArchiveExceptionQueries(store.Db).DecideAsync(rejected, ExceptionState.Rejected, null, "alice", Now, ct);
        await stored.RefreshAsync(ct);
        Assert.Equal(VerdictAction.Accept, await DecideAsync(engine, "billing@partner.example"));
        Assert.Equal(VerdictAction.Reject, await DecideAsync(engine, "x@other.example"));
        Assert.Equal(VerdictAction.Accept, await DecideAsync(engine, "anyone@configured.example"));

        time.Now = new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(VerdictAction.Reject, await DecideAsync(engine, "billing@partner.example"));
    }
}
