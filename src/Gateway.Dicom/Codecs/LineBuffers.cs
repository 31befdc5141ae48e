namespace Gateway.Dicom.Codecs;

/// <summary>The current and previous line of each component, with one sample of margin each side; the first previous line is zeros.</summary>
internal sealed class LineBuffers
{
    private readonly int[][] _previous;
    private readonly int[][] _current;

    public LineBuffers(int components, int width)
    {
        _previous = new int[components][];
        _current = new int[components][];
        for (var c = 0; c < components; c++)
        {
            _previous[c] = new int[width + 2];
            _current[c] = new int[width + 2];
        }
    }

    public int[] Previous(int c) => _previous[c];
    public int[] Current(int c) => _current[c];

    public void Swap(int c) => (_previous[c], _current[c]) = (_current[c], _previous[c]);
}
