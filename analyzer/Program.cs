using DmarcAnalyzer.Cli;

return await CommandLine.RunAsync(args);
