using System.Text.Json;
using Gateway.Shared;

namespace Gateway.Configuration;

/// <summary>
/// Writes the configuration atomically (temp file, fsync, rename, directory fsync): a reader — the running service's
/// watcher, a crash at any moment — sees the old file or the new one, never half of one. Validated before it replaces
/// anything.
/// </summary>
public static class ConfigWriter
{
    public static void Save(string path, GatewayConfig config)
    {
        ConfigValidator.Checked(config, path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var s = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(s, config, StrictJson.Options);
                s.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            DirectoryFsync.Flush(dir);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
