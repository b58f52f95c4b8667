using System.CommandLine;
using DmarcAnalyzer.Cli;

namespace DmarcAnalyzer.Tests.Cli;

/// <summary>Options bound to configuration keys: the command line is the last layer, over the file.</summary>
public sealed class CommandConfigurationTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private (CommandConfiguration Settings, Command Command) Poll()
    {
        var settings = new CommandConfiguration();
        settings.Bind(new Option<string?>("--host"), "Imap:Host");
        settings.Bind(new Option<int?>("--port"), "Imap:Port");
        settings.Bind(new Option<FileInfo?>("--db"), "Storage:Database");
        var command = new Command("poll") { new Option<bool>("--once") };
        settings.AddTo(command);
        return (settings, command);
    }

    private string ConfigFile()
    {
        var path = _folder.File("dmarc.json");
        File.WriteAllText(path, """{ "Imap": { "Host": "file.example", "Port": "993", "Mailboxes": [ { "Name": "a", "Host": "a.example" } ] } }""");
        return path;
    }

    [Fact]
    public void GivenOptionsWinOverTheFileAndTheOthersComeFromIt()
    {
        var (settings, command) = Poll();
        var result = command.Parse(["--config", ConfigFile(), "--port", "143", "--db", "x.db"]);

        var configuration = settings.Load(result);

        Assert.Equal("file.example", configuration["Imap:Host"]);
        Assert.Equal("143", configuration["Imap:Port"]);
        Assert.Equal(Path.GetFullPath("x.db"), configuration["Storage:Database"]);
        Assert.True(settings.AnyGiven(result, "Imap:"));
        Assert.False(settings.AnyGiven(command.Parse(["--config", ConfigFile(), "--db", "x.db", "--once"]), "Imap:"));
    }

    [Fact]
    public void ARekeyedLoadPutsTheOptionsUnderAnotherKey()
    {
        var (settings, command) = Poll();
        var result = command.Parse(["--config", ConfigFile(), "--host", "cli.example"]);

        var configuration = settings.Load(result, key => key.Replace("Imap:", "Imap:Mailboxes:0:", StringComparison.Ordinal));

        Assert.Equal("cli.example", configuration["Imap:Mailboxes:0:Host"]);
        Assert.Equal("file.example", configuration["Imap:Host"]);
    }

    public void Dispose() => _folder.Dispose();
}
