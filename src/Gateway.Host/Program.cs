using System.Text;
using Gateway.Host;

// Buffered stdout: `dump` prints one line per element, and Console.Out flushes every line.
using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
var code = Cli.Run(args, stdout, Console.Error);
stdout.Flush();
return code;
