namespace Gateway.Hardware.Display;

/// <summary>
/// The box's front panel display. Thread-safe: <see cref="Show"/> may be called from any thread, at any rate (an
/// unchanged status writes nothing). It never throws for the display's sake: a display that is missing or stops
/// answering is logged once, updates are skipped, and it is looked for again every display.retrySeconds.
/// <see cref="Show"/> writes the changed lines before it returns (an LCD row is ~100 one-byte transfers, ~20-30 ms on a 100 kHz bus; an OLED row ~15 ms), so call it
/// from a background loop, not a request thread; the display is opened by the first one. Scrolling and page changes
/// run on the panel's own timer. <see cref="IDisposable.Dispose"/> leaves "STOPPED" on the glass (an LCD keeps its
/// text while powered, and a stopped gateway must not go on saying READY).
/// </summary>
public interface IFrontPanel : IDisposable
{
    /// <summary>True while the display answers.</summary>
    bool Connected { get; }

    /// <summary>Shows <paramref name="status"/> from now on.</summary>
    void Show(PanelStatus status);
}
