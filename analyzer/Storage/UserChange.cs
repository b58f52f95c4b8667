namespace DmarcAnalyzer.Storage;

/// <summary>What became of a change to a user made on the dashboard.</summary>
internal enum UserChange
{
    Done,
    NoSuchUser,
    AlreadyExists,

    /// <summary>Refused: it would leave no enabled administrator.</summary>
    LastAdmin,
}
