using Gateway.Host.Commands;

namespace Gateway.Host;

/// <summary>
/// The service verbs (run, demo, spool, simulate, worklist, exam, capture, fleet) run here, in-process. The native front (src/Gateway.Cli)
/// compiles the same Cli.cs with its own ServiceVerbs, which hands these verbs over to this executable.
/// </summary>
internal static class ServiceVerbs
{
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Run = RunCommand.Run;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Demo = DemoCommand.Run;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Spool = SpoolCommand.Run;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Simulate = SimulateCommand.Run;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Worklist = WorklistCommand.Run;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Exam = ExamCommand.Run;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Capture = CaptureCommand.Run;
    public static readonly Func<CommandArgs, TextWriter, TextWriter, int> Fleet = FleetCommand.Run;

    /// <summary>Nothing to hand over: this is the executable every verb runs in.</summary>
    public static int? HandOver(string[] args, TextWriter stdout, TextWriter stderr) => null;
}
