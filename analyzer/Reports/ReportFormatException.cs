namespace DmarcAnalyzer.Reports;

/// <summary>An input that is not a usable report; the message is the reason a person reads in <c>dmarc failures</c>.</summary>
internal sealed class ReportFormatException(string message, Exception? inner = null) : Exception(message, inner);
