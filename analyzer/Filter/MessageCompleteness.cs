namespace DmarcAnalyzer.Filter;

/// <summary>How much of a message the milter kept for the engine.</summary>
internal enum MessageCompleteness
{
    Whole,

    /// <summary>Past the size or header-count cap: only the header fields are checked.</summary>
    Truncated,

    /// <summary>Truncated, and Authentication-Results or From fields past the header cap were not kept either.</summary>
    FieldsLost,
}
