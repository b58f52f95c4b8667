namespace DmarcAnalyzer.Web;

internal enum SignInOutcome
{
    SignedIn,
    WrongNameOrPassword,
    LockedOut,

    /// <summary>Too many password checks under way and waiting: try again shortly.</summary>
    Busy,
}
