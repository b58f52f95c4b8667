using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DmarcAnalyzer.Filter;

/// <summary>
/// The filter's options as last read from configuration. <see cref="Reload"/> (on SIGHUP) re-reads the files;
/// a bad new configuration is logged and the previous one stays in force.
/// </summary>
internal sealed class FilterSettings(IConfigurationRoot configuration, ILogger<FilterSettings> logger)
{
    public const string Section = "Filter";

    private volatile FilterOptions _current = Bind(configuration);

    public FilterOptions Current => _current;

    /// <summary>The options, with the ARC sealing key read (a key that cannot be is an <see cref="InvalidOperationException"/>).</summary>
    public static FilterOptions Bind(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<FilterOptions>() ?? new FilterOptions();
        options.Arc.Seal?.Load();
        return options;
    }

    public void Reload()
    {
        try
        {
            configuration.Reload();
            var options = Bind(configuration);
            _current = options;
            logger.LogInformation("configuration reloaded: {Exceptions} exceptions, encrypted archives: {Action}",
                options.Exceptions.Count, options.EncryptedArchiveAction);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or IOException or InvalidDataException)
        {
            logger.LogError("configuration not reloaded, the previous one stays in force: {Error}", e.Message);
        }
    }
}
