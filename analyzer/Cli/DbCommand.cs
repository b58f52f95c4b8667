using System.CommandLine;
using DmarcAnalyzer.Storage;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc db migrate</c>: brings the store's schema up to date and prints its version. <c>dmarc db copy --to DB [--from DB]</c>:
/// copies a whole store into an empty one (a SQLite file into PostgreSQL, or back), verified table by table by counts and
/// checksums; exit 1 when a table does not verify. <c>--from</c> defaults to the configured store.
/// </summary>
internal static class DbCommand
{
    public static Command Create()
    {
        var db = new Command("db", "The store itself: migrate its schema, copy it into another store");
        db.Subcommands.Add(Migrate());
        db.Subcommands.Add(Copy());
        return db;
    }

    private static Command Migrate()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var command = new Command("migrate", "Create or migrate the store's schema, nothing else");
        settings.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var database = AppConfiguration.DatabasePath(settings.Load(result));
            await using var store = await Store.OpenAsync(database, ct);
            Console.Out.WriteLine($"schema: version {Schema.Migrations.Count} ({StoreLocation.Describe(database)})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Copy()
    {
        var settings = new CommandConfiguration();
        var from = settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        from.Aliases.Add("--from");
        var target = CommonOptions.Database("--to");
        target.Description = "The store to copy into, empty: a PostgreSQL URL or connection string, or a SQLite file";
        target.Required = true;
        var command = new Command("copy", "Copy every row of the store (--from or --db, default: the configured one) into an empty store (--to)") { target };
        settings.AddTo(command);
        command.SetAction(async (result, ct) =>
        {
            var configuration = settings.Load(result);
            var source = AppConfiguration.DatabasePath(configuration);
            if (!StoreLocation.Exists(source))
                throw new UsageException($"no database at {source}: name the store to copy with --from");
            var destination = AppConfiguration.DatabasePath(configuration, result.GetValue(target)!);
            await using var fromStore = await Store.OpenAsync(source, ct);
            await using var toStore = await Store.OpenAsync(destination, ct);
            IReadOnlyList<TableCopy> tables;
            try
            {
                tables = await StoreCopy.CopyAsync(fromStore, toStore, ct);
            }
            catch (InvalidOperationException e)
            {
                // A target with rows, or a source with tables this dmarc does not know: nothing was copied.
                Console.Error.WriteLine($"dmarc: {e.Message}");
                return ExitCodes.Fatal;
            }
            foreach (var table in tables)
                Console.Out.WriteLine($"{table.Table}: {table.Rows} rows copied, {table.RowsInTarget} in the target, "
                    + (table.Verified ? "verified" : "NOT VERIFIED"));
            var failed = tables.Count(t => !t.Verified);
            Console.Out.WriteLine($"copy: {tables.Sum(t => t.Rows)} rows in {tables.Count} tables from {StoreLocation.Describe(source)} to "
                + $"{StoreLocation.Describe(destination)}; " + (failed == 0 ? "all verified" : $"{failed} tables NOT verified"));
            return failed == 0 ? ExitCodes.Ok : ExitCodes.Fatal;
        });
        return command;
    }
}
