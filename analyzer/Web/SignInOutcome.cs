namespace DmarcAnalyzer.Web;

internal enum SignInOutcome
{
    SignedIn,
    WrongNameOrPassword,
    LockedOut,
}
