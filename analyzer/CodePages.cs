using System.Runtime.CompilerServices;
using System.Text;

namespace DmarcAnalyzer;

/// <summary>
/// The legacy code pages (windows-1252, iso-2022-jp, ...) that reports declare and MimeKit decodes headers and file
/// names in, registered once when the program is loaded: MimeKit reads the encodings known when it first needs one,
/// so a registration made later, by whichever code happens to run first, leaves it without them.
/// </summary>
internal static class CodePages
{
    [ModuleInitializer]
    internal static void Register() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
}
