using System.CommandLine;

namespace DmarcAnalyzer.Cli;

/// <summary><c>dmarc check</c>: lint a domain's published records, one subcommand per record kind.</summary>
internal static class CheckCommand
{
    public static Command Create()
    {
        var check = new Command("check", "Lint a domain's published authentication records");
        check.Subcommands.Add(CheckSpfCommand.Create());
        check.Subcommands.Add(CheckDmarcCommand.Create());
        return check;
    }
}
