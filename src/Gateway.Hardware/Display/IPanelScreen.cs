namespace Gateway.Hardware.Display;

/// <summary>One kind of display as a grid of characters. Any method may throw when the display stops answering.</summary>
internal interface IPanelScreen : IDisposable
{
    int Columns { get; }

    int Rows { get; }

    /// <summary>Writes one row (exactly <see cref="Columns"/> characters, already cleaned by <see cref="PanelLayout.Clean"/>).</summary>
    void WriteRow(int row, string text);
}
