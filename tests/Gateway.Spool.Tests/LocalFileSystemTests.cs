using Xunit;
using Gateway.Spool;

namespace Gateway.Spool.Tests;

/// <summary>
/// Recovery's libc reads and sizes (<see cref="NativeFiles"/>, issue #22) against System.IO's way they replace: for
/// every kind of file a state or payload path can name, the same bytes, the same -1 for a file longer than the buffer,
/// the same exception type and message (a symbolic link's length is its own, as FileInfo has it) — whatever libc's way does not answer itself must fall back, not differ.
/// </summary>
public sealed class LocalFileSystemTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gw-localfs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const int Capacity = 64;

    public static TheoryData<string> Kinds => ["empty", "small", "one short", "exactly", "one over", "far over", "missing", "missing directory", "directory", "link to small", "link to exactly", "dangling link", "link to directory"];

    /// <summary>Makes what <paramref name="kind"/> names and returns its path.</summary>
    private string Make(string kind)
    {
        var path = Path.Combine(_dir, kind.Replace(' ', '-') + ".json");
        var content = Enumerable.Range(0, 3 * Capacity).Select(i => (byte)('a' + i % 26)).ToArray();
        switch (kind)
        {
            case "empty": File.WriteAllBytes(path, []); break;
            case "small": File.WriteAllBytes(path, content[..10]); break;
            case "one short": File.WriteAllBytes(path, content[..(Capacity - 1)]); break;
            case "exactly": File.WriteAllBytes(path, content[..Capacity]); break;
            case "one over": File.WriteAllBytes(path, content[..(Capacity + 1)]); break;
            case "far over": File.WriteAllBytes(path, content); break;
            case "missing": break;
            case "missing directory": path = Path.Combine(_dir, "nowhere", "x.json"); break;
            case "directory": Directory.CreateDirectory(path); break;
            case "link to small": File.CreateSymbolicLink(path, Make("small")); break;
            case "link to exactly": File.CreateSymbolicLink(path, Make("exactly")); break;
            case "dangling link": File.CreateSymbolicLink(path, Path.Combine(_dir, "gone")); break;
            case "link to directory": File.CreateSymbolicLink(path, Make("directory")); break;
        }
        return path;
    }

    /// <summary>What a call does: its result, or its exception's type and message.</summary>
    private static string Outcome(Func<string> call)
    {
        try
        {
            return "result " + call();
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ReadSmall_reads_and_fails_as_System_IO_does(string kind)
    {
        var path = Make(kind);
        var buffer = new byte[Capacity];
        var expected = Outcome(() =>
        {
            Array.Clear(buffer);
            var n = LocalFileSystem.ReadSmallManaged(path, buffer);
            return n < 0 ? "-1" : $"{n} {Convert.ToHexString(buffer)}"; // -1: the buffer's content is not the file's
        });
        var actual = Outcome(() =>
        {
            Array.Clear(buffer);
            var n = LocalFileSystem.Instance.ReadSmall(path, buffer.AsSpan());
            return n < 0 ? "-1" : $"{n} {Convert.ToHexString(buffer)}"; // -1: the buffer's content is not the file's
        });
        Assert.Equal(expected, actual);
        if (OperatingSystem.IsLinux() && kind is "small" or "exactly" or "one over" or "empty" or "link to small")
            Assert.True(NativeFiles.TryReadSmall(path, buffer, out _), "libc's way answers a regular file itself");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Length_is_what_FileInfo_says(string kind)
    {
        var path = Make(kind);
        Assert.Equal(Outcome(() => new FileInfo(path).Length.ToString()), Outcome(() => LocalFileSystem.Instance.Length(path).ToString()));
        if (OperatingSystem.IsLinux() && kind is "small" or "far over" or "empty")
            Assert.True(NativeFiles.TryLength(path, out _), "libc's way answers a regular file itself");
    }
}
