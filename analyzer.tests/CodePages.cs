using System.Runtime.CompilerServices;
using System.Text;

namespace DmarcAnalyzer.Tests;

/// <summary>Tests call MimeKit and Encoding.GetEncoding directly, before the program's own registration may have run.</summary>
internal static class CodePages
{
    [ModuleInitializer]
    internal static void Register() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
}
