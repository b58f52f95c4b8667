using System.CommandLine;

namespace DmarcAnalyzer.Cli;

/// <summary><c>dmarc verify</c>: authentication checks run by hand, one subcommand each.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var verify = new Command("verify", "Run an authentication check by hand and print its result");
        verify.Subcommands.Add(VerifySpfCommand.Create());
        verify.Subcommands.Add(VerifyMessageCommand.Create());
        return verify;
    }
}
