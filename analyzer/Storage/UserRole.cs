namespace DmarcAnalyzer.Storage;

/// <summary>What a dashboard user may do: a viewer reads, an administrator also approves, edits and manages users.</summary>
internal enum UserRole
{
    Viewer,
    Admin,
}
