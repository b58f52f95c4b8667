using System.Globalization;
using System.Text.RegularExpressions;

namespace DmarcAnalyzer.Analysis;

/// <summary>An ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday).</summary>
internal readonly record struct IsoWeek(int Year, int Week) : IComparable<IsoWeek>
{
    public static IsoWeek Of(DateOnly day)
    {
        var date = day.ToDateTime(TimeOnly.MinValue);
        return new IsoWeek(ISOWeek.GetYear(date), ISOWeek.GetWeekOfYear(date));
    }

    public DateOnly Monday => DateOnly.FromDateTime(ISOWeek.ToDateTime(Year, Week, DayOfWeek.Monday));

    public DateOnly Sunday => Monday.AddDays(6);

    /// <summary>Parses <c>YYYY-Www</c> (2026-W07), rejecting weeks the year does not have.</summary>
    public static bool TryParse(string text, out IsoWeek week)
    {
        week = default;
        var match = Regex.Match(text, @"^(\d{4})-?W(\d{2})$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        if (!match.Success)
            return false;
        var year = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var number = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        if (year < 1 || year > 9998 || number < 1 || number > ISOWeek.GetWeeksInYear(year))
            return false;
        week = new IsoWeek(year, number);
        return true;
    }

    public int CompareTo(IsoWeek other) => Year != other.Year ? Year.CompareTo(other.Year) : Week.CompareTo(other.Week);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-W{Week:D2}");
}
