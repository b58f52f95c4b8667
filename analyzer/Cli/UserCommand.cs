using System.CommandLine;
using System.Text;
using DmarcAnalyzer.Storage;
using DmarcAnalyzer.Web;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// <c>dmarc user add NAME --role viewer|admin</c>: adds a dashboard user, or sets the role and password of one. The
/// password is asked on the terminal (twice, not echoed), or read as the first line of standard input when that is
/// not a terminal; never from the command line, where other users see it.
/// </summary>
internal static class UserCommand
{
    public static Command Create()
    {
        var settings = new CommandConfiguration();
        settings.Bind(CommonOptions.Database(), AppConfiguration.DatabaseKey);
        var name = new Argument<string>("NAME") { Description = "User name to sign in with" };
        var role = new Option<string>("--role") { Description = "viewer (reads) or admin (also approves and edits)", Required = true };
        role.AcceptOnlyFromAmong("viewer", "admin");
        var add = new Command("add", "Add a user, or change the role and password of one") { name, role };
        settings.AddTo(add);
        add.SetAction(async (ParseResult result, CancellationToken ct) =>
        {
            var user = result.GetValue(name)!.Trim();
            if (user.Length is 0 or > 200 || user.Any(char.IsControl) || user.Any(char.IsWhiteSpace))
                throw new UsageException("NAME: 1 to 200 characters, no spaces");
            var password = await ReadPasswordAsync(ct);
            if (password.Length < PasswordHash.MinLength || password.Length > PasswordHash.MaxLength)
                throw new UsageException($"the password must have {PasswordHash.MinLength} to {PasswordHash.MaxLength} characters");
            await using var store = await Store.OpenAsync(AppConfiguration.DatabasePath(settings.Load(result)), ct);
            var userRole = result.GetValue(role) == "admin" ? UserRole.Admin : UserRole.Viewer;
            var isNew = await store.Users.SaveAsync(user, userRole, PasswordHash.Hash(password), DateTimeOffset.UtcNow, ct);
            Console.WriteLine($"user {user} {(isNew ? "added" : "changed")} ({UserQueries.RoleText(userRole)})");
            return ExitCodes.Ok;
        });
        return new Command("user", "Dashboard users") { add };
    }

    private static async Task<string> ReadPasswordAsync(CancellationToken ct)
    {
        if (Console.IsInputRedirected)
            return (await Console.In.ReadLineAsync(ct))?.TrimEnd('\r') ?? throw new UsageException("no password on standard input");
        var first = Ask("Password: ");
        if (Ask("Again: ") != first)
            throw new UsageException("the passwords differ");
        return first;
    }

    private static string Ask(string prompt)
    {
        Console.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
                break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                    text.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
                text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }
}
