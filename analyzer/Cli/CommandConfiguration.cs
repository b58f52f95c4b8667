using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace DmarcAnalyzer.Cli;

/// <summary>
/// The one way a command binds its options. An option that stands for a configuration key is declared with
/// <see cref="Bind{T}"/>; <see cref="Load"/> reads the configuration (<see cref="AppConfiguration"/>: the file, then
/// the environment) and adds the options given on the command line as a last layer of the same keys. The rooms then
/// read their settings from that one configuration, whichever source gave them.
/// </summary>
internal sealed class CommandConfiguration
{
    private readonly List<(Option Option, string Key, Func<ParseResult, string?> Value)> _bound = [];

    /// <summary><c>--config</c>, which every command takes.</summary>
    public Option<FileInfo?> File { get; } = CommonOptions.Config();

    /// <summary>Declares that <paramref name="option"/>, when given, sets the configuration key <paramref name="key"/>.</summary>
    public Option<T> Bind<T>(Option<T> option, string key)
    {
        _bound.Add((option, key, r => r.GetResult(option) is { Implicit: false } ? Text(r.GetValue(option)) : null));
        return option;
    }

    /// <summary>Adds <c>--config</c> and the bound options to the command.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(File);
        foreach (var (option, _, _) in _bound)
            command.Options.Add(option);
    }

    /// <summary>Whether an option bound to a key under <paramref name="section"/> (<c>Imap:</c>) was given on the command line.</summary>
    public bool AnyGiven(ParseResult result, string section) =>
        _bound.Any(b => b.Key.StartsWith(section, StringComparison.OrdinalIgnoreCase) && b.Value(result) is not null);

    /// <param name="rekey">Where a bound key goes instead (one entry of a list, say); null: where it was bound.</param>
    public IConfigurationRoot Load(ParseResult result, Func<string, string>? rekey = null)
    {
        var commandLine = _bound.Select(b => (Key: rekey?.Invoke(b.Key) ?? b.Key, Value: b.Value(result)))
            .Where(b => b.Value is not null)
            .ToDictionary(b => b.Key, b => b.Value, StringComparer.OrdinalIgnoreCase);
        return AppConfiguration.Load(result.GetValue(File), commandLine);
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        FileSystemInfo file => file.FullName,
        bool flag => flag ? "true" : "false",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
