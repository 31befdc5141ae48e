using BenchmarkDotNet.Attributes;
using Gateway.Dicom;

namespace Gateway.Benchmarks;

/// <summary>Issue #2: metadata parse of a 200-frame file; writing an 18 MB single-frame file (in process).</summary>
[MemoryDiagnoser]
public class DicomFileBenchmarks
{
    private string _multiFrame = "";
    private DicomFile _dx = null!;
    private string _out = "";

    [GlobalSetup]
    public void Setup()
    {
        _multiFrame = BenchmarkFiles.MultiFrame;
        _dx = DicomFile.Open(BenchmarkFiles.Dx18MB);
        _ = _dx.Dataset.GetBuffer(DicomTags.PixelData).Memory; // the frame is in memory, as after acquisition
        _out = Path.Combine(BenchmarkFiles.Folder, "bench-out.dcm");
    }

    [Benchmark(Description = "parse metadata, 200×512×512×16 (100 MB)")]
    public int ParseMultiFrameMetadata() => DicomFile.Open(_multiFrame).Dataset.Count;

    [Benchmark(Description = "write 3000×3000×16 (18 MB) Explicit LE")]
    public void Write18MB() => _dx.Save(_out, DicomTransferSyntax.ExplicitVRLittleEndian);
}
