using System.Diagnostics;
using DmarcAnalyzer.Fuzz;
using SharpFuzz;

// fuzz <target>: the process afl-fuzz runs (SharpFuzz's out-of-process mode: a crash or hang restarts only the child).
// replay <target> <file or folder>...: runs saved inputs once each and prints what each did and how long it took.
if (args.Length >= 2 && args[0] == "fuzz" && FuzzTargets.Names.Contains(args[1]))
{
    var target = args[1];
    // SharpFuzz hands each input to a synchronous callback: the target's task is waited for here, at the edge.
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        try
        {
            FuzzTargets.RunAsync(target, copy.ToArray(), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            // afl-fuzz shows it with AFL_DEBUG_CHILD=1 (README.md: A finding); the rethrow is what it counts.
            Console.Error.WriteLine(e);
            throw;
        }
    });
    return 0;
}
if (args.Length >= 3 && args[0] == "replay" && FuzzTargets.Names.Contains(args[1]))
{
    var findings = 0;
    var files = args[2..].SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order() : (IEnumerable<string>)[p]);
    foreach (var file in files)
    {
        var input = File.ReadAllBytes(file);
        var clock = Stopwatch.StartNew();
        try
        {
            await FuzzTargets.RunAsync(args[1], input, CancellationToken.None);
            Console.WriteLine($"ok      {clock.ElapsedMilliseconds,6} ms  {file}");
        }
        catch (Exception e)
        {
            findings++;
            Console.WriteLine($"FINDING {clock.ElapsedMilliseconds,6} ms  {file}\n{e}");
        }
    }
    return findings == 0 ? 0 : 1;
}
Console.Error.WriteLine($"usage: fuzz fuzz <target> | fuzz replay <target> <file or folder>...\ntargets: {string.Join(", ", FuzzTargets.Names)}");
return 2;
