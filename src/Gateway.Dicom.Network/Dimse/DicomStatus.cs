using System.Globalization;

namespace Gateway.Dicom.Network;

/// <summary>Status categories of PS3.7 Annex C.</summary>
public enum DicomStatusCategory
{
    Success,
    Warning,
    Failure,
    Cancel,
    Pending,
}

/// <summary>
/// A DIMSE status (0000,0900) as a value: outcomes are values, a broken transport is an exception (STYLE 5).
/// The forwarder decides retry or dead letter from <see cref="IsTransientFailure"/>.
/// </summary>
public readonly record struct DicomStatus(ushort Code, string? ErrorComment = null)
{
    public static readonly DicomStatus Success = new(0x0000);
    public static readonly DicomStatus SopClassNotSupported = new(0x0122);
    public static readonly DicomStatus ProcessingFailure = new(0x0110);
    public static readonly DicomStatus OutOfResources = new(0xA700);
    public static readonly DicomStatus CannotUnderstand = new(0xC000);
    public static readonly DicomStatus DataSetDoesNotMatchSopClass = new(0xA900);

    public DicomStatusCategory Category => Code switch
    {
        0x0000 => DicomStatusCategory.Success,
        0x0001 or 0x0107 or 0x0116 or >= 0xB000 and <= 0xBFFF => DicomStatusCategory.Warning,
        0xFE00 => DicomStatusCategory.Cancel,
        0xFF00 or 0xFF01 => DicomStatusCategory.Pending,
        _ => DicomStatusCategory.Failure,
    };

    /// <summary>Success or warning: the object was stored.</summary>
    public bool IsSuccess => Category is DicomStatusCategory.Success or DicomStatusCategory.Warning;

    /// <summary>
    /// A failure that may pass if retried later: out of resources (A7xx), resource limitation (0213), processing
    /// failure (0110). Data set or SOP class problems (A9xx, Cxxx, 0122, 0124 …) will fail the same way again.
    /// </summary>
    public bool IsTransientFailure => Category == DicomStatusCategory.Failure &&
        (Code is >= 0xA700 and <= 0xA7FF || Code is 0x0213 or 0x0110);

    public string Description => Code switch
    {
        0x0000 => "success",
        0x0001 => "warning: requested optional attributes are not supported",
        0x0107 => "warning: attribute list error",
        0x0116 => "warning: attribute value out of range",
        0xB000 => "warning: coercion of data elements",
        0xB006 => "warning: elements discarded",
        0xB007 => "warning: data set does not match SOP class",
        >= 0xA700 and <= 0xA7FF => "refused: out of resources",
        >= 0xA900 and <= 0xA9FF => "error: data set does not match SOP class",
        >= 0xC000 and <= 0xCFFF => "error: cannot understand",
        0x0110 => "processing failure",
        0x0111 => "duplicate SOP instance",
        0x0117 => "invalid SOP instance",
        0x0122 => "refused: SOP class not supported",
        0x0124 => "refused: not authorized",
        0x0210 => "duplicate invocation",
        0x0211 => "unrecognized operation",
        0x0212 => "mistyped argument",
        0x0213 => "resource limitation",
        0xFE00 => "cancelled",
        0xFF00 or 0xFF01 => "pending",
        _ => "failure",
    };

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Code:X4} ({Description}){(ErrorComment is { Length: > 0 } c ? ": " + c : "")}");
}
