using System.Text;
using Gateway.Host;

// `gateway fleet` takes a few hundred small MQTT messages a second, each waking a thread-pool worker for tens of
// microseconds, after which the worker spun before sleeping: at 1,000 boxes 60 % of the view's CPU was that spinning
// (docs/benchmarks.md, "Fleet view"). Workers of this process sleep at once instead. Read when the thread pool starts,
// so it must be set before anything queues work; the box's own verbs keep the runtime's default.
if (args is ["fleet", ..])
    AppContext.SetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", 0);

// Buffered stdout: `dump` prints one line per element, and Console.Out flushes every line.
using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
var code = Cli.Run(args, stdout, Console.Error);
stdout.Flush();
return code;
