namespace Gateway.Dicom;

/// <summary>A value does not fit its element's VR or VM. The message names the element and the rule it breaks.</summary>
public sealed class DicomValueException(string message) : Exception(message)
{
    internal static DicomValueException For(DicomTag tag, DicomVR vr, string problem)
    {
        var keyword = DicomDictionary.KeywordOf(tag);
        var name = keyword.Length > 0 ? $"{keyword} {tag}" : tag.ToString();
        return new DicomValueException($"{name} {vr.Code}: {problem}");
    }
}
