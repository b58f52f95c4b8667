namespace DmarcAnalyzer.Charts;

/// <summary>
/// A chart as data, drawn by <see cref="ChartRenderer"/> in any theme and format: <see cref="Name"/> is its file stem,
/// <see cref="Description"/> says in words what the picture shows (the image's text alternative).
/// </summary>
internal sealed record Chart(string Name, string Title, string Description, ChartBody Body)
{
    /// <summary>The description, and where a rate axis starts when that is not 0: the image's text alternative.</summary>
    public string AltText => Body is RateLines lines ? Description + lines.Axis.Note : Description;
}

/// <summary>One named series of a chart, coloured by <see cref="Colour"/> from the theme.</summary>
internal sealed record ChartSeries<T>(string Name, ChartColour Colour, IReadOnlyList<T> Values);
