namespace Gateway.Testing;

/// <summary>Waiting in tests for something a real peer or process will do.</summary>
public static class Poll
{
    /// <summary>Polls <paramref name="condition"/> every <paramref name="everyMs"/> ms; a <see cref="TimeoutException"/> with <paramref name="why"/>'s text when it is not true within <paramref name="timeout"/>.</summary>
    public static async Task Until(Func<bool> condition, TimeSpan timeout, Func<string> why, int everyMs = 50)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(why());
            await Task.Delay(everyMs);
        }
    }
}
