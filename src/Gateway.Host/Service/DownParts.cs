using System.Collections.Concurrent;

namespace Gateway.Host.Service;

/// <summary>
/// The supervised parts that failed and wait out their back-off before <see cref="Supervisor"/> starts them again
/// (issue #15's failure policy): while one does, the watchdog is not fed and STATUS names it. Thread-safe.
/// </summary>
internal sealed class DownParts
{
    private readonly ConcurrentDictionary<string, byte> _down = new(StringComparer.Ordinal);

    public void Add(string part) => _down[part] = 0;

    public void Remove(string part) => _down.TryRemove(part, out _);

    /// <summary>The parts down now, in name order.</summary>
    public IReadOnlyList<string> Names => [.. _down.Keys.Order(StringComparer.Ordinal)];
}
