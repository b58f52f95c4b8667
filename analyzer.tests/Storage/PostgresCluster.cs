using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace DmarcAnalyzer.Tests.Storage;

/// <summary>
/// A private PostgreSQL cluster for the tests: Debian's binaries, <c>initdb</c> into a temporary folder, the server on a
/// free loopback port with its socket in that folder, trust authentication on loopback only; stopped and deleted at the
/// end. No system service is touched. As root (the CI), the cluster runs as the postgres user the package made (the
/// server refuses to run as root). Each test takes a database of its own (<see cref="CreateDatabaseAsync"/>). Without
/// PostgreSQL the tests skip, or fail when <c>DMARC_REQUIRE_POSTGRES=1</c> (as CI sets it: test.sh installs it).
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    /// <summary>Debian's newest server binaries (15 on Debian 12; the folder is named by the major version).</summary>
    private static readonly string? Bin = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql")
            .Select(folder => Path.Combine(folder, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
            .MaxBy(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
        : null;

    private string? _folder;
    private int _databases;

    public int Port { get; private set; }

    public bool Available => Bin is not null;

    private string Data => Path.Combine(_folder!, "data");

    public async ValueTask InitializeAsync()
    {
        if (!Available)
            return;
        _folder = Directory.CreateTempSubdirectory("dmarc-pg-").FullName;
        if (Environment.UserName == "root")
            await RunAsync("chown", ["postgres:postgres", _folder]);
        Port = FreePort();
        await AsServerUserAsync(Path.Combine(Bin!, "initdb"), ["-D", Data, "-U", "dmarc", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]);
        await StartAsync();
    }

    /// <summary>Starts the server (again): the same data, the same port.</summary>
    public Task StartAsync() => AsServerUserAsync(Path.Combine(Bin!, "pg_ctl"),
        ["-D", Data, "-l", Path.Combine(_folder!, "server.log"), "-w", "-t", "120", "start",
            "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"]);

    /// <summary>Stops the server at once (fast shutdown: open sessions are ended, as when the host goes down).</summary>
    public Task StopAsync() => AsServerUserAsync(Path.Combine(Bin!, "pg_ctl"), ["-D", Data, "-w", "-t", "120", "-m", "fast", "stop"]);

    /// <summary>A new, empty database, as a URL for <c>--db</c>.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        if (!Available)
        {
            const string Why = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): test.sh installs it";
            if (Environment.GetEnvironmentVariable("DMARC_REQUIRE_POSTGRES") == "1")
                Assert.Fail(Why + "; DMARC_REQUIRE_POSTGRES=1");
            Assert.Skip(Why);
        }
        var name = $"test{Interlocked.Increment(ref _databases)}";
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=dmarc;Database=postgres;Pooling=false");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return $"postgres://dmarc@127.0.0.1:{Port}/{name}";
    }

    public async ValueTask DisposeAsync()
    {
        if (_folder is null)
            return;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await StopAsync();
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private Task AsServerUserAsync(string program, string[] args) =>
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", program, .. args]) : RunAsync(program, args);

    private static async Task RunAsync(string program, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)}: exit {process.ExitCode}\n{await output}\n{await error}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
