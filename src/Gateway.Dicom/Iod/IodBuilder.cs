using Gateway.Dicom.Imaging;

namespace Gateway.Dicom.Iod;

/// <summary>One frame to wrap: its layout and its pixels (possibly decoded only when written).</summary>
public sealed record Frame(ImageFormat Format, DicomBuffer Pixels);

/// <summary>
/// Builds complete data sets for the IODs of <see cref="IodKind"/>: every mandatory module, type 1 values present and
/// valid, type 2 present (empty when unknown), conditional elements by their conditions (PS3.3 Annex A and C), with
/// the defaults of <see cref="IodDefaults"/> and the metadata on top. Judged by dciodvfy, dcmdump and pydicom.
/// </summary>
public sealed class IodBuilder(TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Attributes that describe the pixels or the object's kind: they come from the frames, never from metadata.</summary>
    public static readonly IReadOnlySet<DicomTag> Derived = new HashSet<DicomTag>
    {
        DicomTags.SOPClassUID, DicomTags.Rows, DicomTags.Columns, DicomTags.BitsAllocated, DicomTags.BitsStored, DicomTags.HighBit,
        DicomTags.SamplesPerPixel, DicomTags.PhotometricInterpretation, DicomTags.PixelRepresentation, DicomTags.PlanarConfiguration,
        DicomTags.NumberOfFrames, DicomTags.PixelData, DicomTags.FrameIncrementPointer,
    };

    public DicomDataset Build(IodKind kind, IReadOnlyList<Frame> frames, DicomDataset metadata, InstanceIdentity identity)
    {
        var info = IodInfo.Of(kind);
        var format = CheckFrames(info, frames, metadata);
        foreach (var item in metadata)
        {
            if (Derived.Contains(item.Tag))
                throw new DicomValueException($"{DicomDictionary.KeywordOf(item.Tag)} {item.Tag} is derived from the image; remove it from the metadata");
        }

        var now = _time.GetLocalNow();
        var ds = new DicomDataset();
        SopCommon(ds, info, identity, now);
        Patient(ds);
        Study(ds, identity, now);
        Series(ds, info, identity);
        Equipment(ds);
        GeneralImage(ds, info, identity, now);
        ImagePixel(ds, format, frames);
        switch (kind)
        {
            case IodKind.SecondaryCapture:
                SecondaryCapture(ds, now);
                break;
            case IodKind.MultiFrameGrayscaleByte or IodKind.MultiFrameGrayscaleWord or IodKind.MultiFrameTrueColor:
                SecondaryCapture(ds, now);
                MultiFrame(ds, frames.Count);
                ScMultiFrameImage(ds, format);
                break;
            case IodKind.DxForPresentation or IodKind.DxForProcessing:
                DigitalXRay(ds, format, kind == IodKind.DxForPresentation, metadata);
                break;
            case IodKind.Ultrasound or IodKind.UltrasoundMultiFrame:
                if (kind == IodKind.UltrasoundMultiFrame)
                    MultiFrame(ds, frames.Count);
                break;
            case IodKind.VlEndoscopic or IodKind.VlPhotographic:
                VisibleLight(ds);
                break;
            case IodKind.VideoEndoscopic or IodKind.VideoPhotographic:
                VisibleLight(ds);
                MultiFrame(ds, frames.Count);
                break;
        }

        // The metadata wins over every default; then the character set is chosen for what the text now holds.
        foreach (var item in metadata)
            ds.AddOrUpdate(item);
        if (!metadata.Contains(DicomTags.SpecificCharacterSet))
        {
            var charset = DicomCharacterSet.ChooseFor(Texts(ds));
            if (charset.Length > 0)
                ds.Set(DicomTags.SpecificCharacterSet, charset);
        }
        return ds;
    }

    private static IEnumerable<string> Texts(DicomDataset ds)
    {
        foreach (var item in ds)
        {
            if (item is DicomElement e && !e.HasBytes && e.VR.UsesCharacterSet)
                yield return e.GetText(DicomCharacterSet.Default);
            else if (item is DicomSequence sq)
            {
                foreach (var i in sq.Items)
                {
                    foreach (var t in Texts(i))
                        yield return t;
                }
            }
        }
    }

    private static ImageFormat CheckFrames(IodInfo info, IReadOnlyList<Frame> frames, DicomDataset metadata)
    {
        if (frames.Count == 0)
            throw new DicomValueException("no frames to wrap");
        var format = frames[0].Format;
        for (var i = 1; i < frames.Count; i++)
        {
            if (frames[i].Format != format)
                throw new DicomValueException($"frame {i + 1} is {frames[i].Format}, frame 1 is {format}: all frames of one object must agree");
        }
        if (!info.MultiFrame && frames.Count > 1)
            throw new DicomValueException($"{info.Name} holds one frame, {frames.Count} were given (use a multi-frame IOD)");
        if (!info.Formats.Contains((format.SamplesPerPixel, format.BitsAllocated)))
        {
            var allowed = string.Join(", ", info.Formats.Select(f => $"{(f.Samples == 3 ? "RGB" : "grey")} {f.BitsAllocated}-bit"));
            throw new DicomValueException($"{info.Name} does not allow {format}; it takes {allowed}");
        }
        if (format.Inverted && (format.SamplesPerPixel != 1 || !info.AllowsMonochrome1))
            throw new DicomValueException($"{info.Name} does not allow MONOCHROME1 (grey with white as the minimum): use sc, dx or dx-proc, or MONOCHROME2");
        if (format.BitsStored < info.MinBitsStored)
            throw new DicomValueException($"{info.Name} needs at least {info.MinBitsStored} bits stored, the image has {format.BitsStored}");
        if (info.Kind is IodKind.DxForPresentation or IodKind.DxForProcessing)
        {
            if (!metadata.Contains(DicomTags.ImagerPixelSpacing))
                throw new DicomValueException($"{info.Name} needs ImagerPixelSpacing (the detector's pixel pitch in mm, e.g. [0.139, 0.139]) in the metadata: a guessed spacing would make measurements wrong");
            if (metadata.TryGetString(DicomTags.PatientOrientation) is not { Length: > 0 })
                throw new DicomValueException($"{info.Name} needs PatientOrientation (the patient directions of the rows and columns, e.g. [\"L\", \"F\"] for a PA chest) in the metadata: DX requires it and only the exposure knows it");
        }
        return format;
    }

    private static void SopCommon(DicomDataset ds, IodInfo info, InstanceIdentity id, DateTimeOffset now)
    {
        ds.Set(DicomTags.SOPClassUID, info.SopClassUid);
        ds.Set(DicomTags.SOPInstanceUID, id.SopInstanceUid);
        ds.Set(DicomTags.InstanceCreationDate, DateOnly.FromDateTime(now.DateTime));
        ds.Set(DicomTags.InstanceCreationTime, TimeOnly.FromDateTime(now.DateTime));
    }

    private static void Patient(DicomDataset ds)
    {
        ds.Set(DicomTags.PatientName, "");
        ds.Set(DicomTags.PatientID, "");
        ds.Set(DicomTags.PatientBirthDate, "");
        ds.Set(DicomTags.PatientSex, "");
    }

    private static void Study(DicomDataset ds, InstanceIdentity id, DateTimeOffset now)
    {
        ds.Set(DicomTags.StudyInstanceUID, id.StudyInstanceUid);
        ds.Set(DicomTags.StudyDate, DateOnly.FromDateTime(now.DateTime));
        ds.Set(DicomTags.StudyTime, TimeOnly.FromDateTime(now.DateTime));
        ds.Set(DicomTags.ReferringPhysicianName, "");
        ds.Set(DicomTags.StudyID, "");
        ds.Set(DicomTags.AccessionNumber, "");
    }

    private static void Series(DicomDataset ds, IodInfo info, InstanceIdentity id)
    {
        ds.Set(DicomTags.Modality, info.Modality);
        ds.Set(DicomTags.SeriesInstanceUID, id.SeriesInstanceUid);
        ds.Set(DicomTags.SeriesNumber, id.SeriesNumber);
        ds.Set(DicomTags.Laterality, IodDefaults.Unknown);
    }

    private static void Equipment(DicomDataset ds)
    {
        ds.Set(DicomTags.Manufacturer, "");
        ds.Set(DicomTags.SoftwareVersions, DicomImplementation.VersionName);
    }

    private static void GeneralImage(DicomDataset ds, IodInfo info, InstanceIdentity id, DateTimeOffset now)
    {
        var secondary = info.Kind is IodKind.SecondaryCapture or IodKind.MultiFrameGrayscaleByte or IodKind.MultiFrameGrayscaleWord or IodKind.MultiFrameTrueColor;
        ds.Set(DicomTags.ImageType, secondary ? IodDefaults.SecondaryImageType
            : info.Kind is IodKind.Ultrasound or IodKind.UltrasoundMultiFrame ? IodDefaults.UltrasoundImageType : IodDefaults.OriginalImageType);
        ds.Set(DicomTags.InstanceNumber, id.InstanceNumber);
        ds.Set(DicomTags.PatientOrientation, IodDefaults.Unknown);
        ds.Set(DicomTags.ContentDate, DateOnly.FromDateTime(now.DateTime));
        ds.Set(DicomTags.ContentTime, TimeOnly.FromDateTime(now.DateTime));
        ds.Set(DicomTags.BurnedInAnnotation, info.Kind is IodKind.Ultrasound or IodKind.UltrasoundMultiFrame
            ? IodDefaults.UltrasoundBurnedInAnnotation : IodDefaults.BurnedInAnnotation);
        ds.Set(DicomTags.LossyImageCompression, IodDefaults.LossyImageCompression);
    }

    private static void ImagePixel(DicomDataset ds, ImageFormat f, IReadOnlyList<Frame> frames)
    {
        ds.Set(DicomTags.SamplesPerPixel, (ushort)f.SamplesPerPixel);
        ds.Set(DicomTags.PhotometricInterpretation, f.Photometric);
        if (f.SamplesPerPixel == 3)
            ds.Set(DicomTags.PlanarConfiguration, (ushort)0);
        ds.Set(DicomTags.Rows, (ushort)f.Rows);
        ds.Set(DicomTags.Columns, (ushort)f.Columns);
        ds.Set(DicomTags.BitsAllocated, (ushort)f.BitsAllocated);
        ds.Set(DicomTags.BitsStored, (ushort)f.BitsStored);
        ds.Set(DicomTags.HighBit, (ushort)(f.BitsStored - 1));
        ds.Set(DicomTags.PixelRepresentation, (ushort)0);
        var pixels = frames.Count == 1 ? frames[0].Pixels : DicomBuffer.Concat([.. frames.Select(fr => fr.Pixels)]);
        ds.SetBytes(DicomTags.PixelData, f.BitsAllocated == 8 ? DicomVR.OB : DicomVR.OW, pixels);
    }

    private static void SecondaryCapture(DicomDataset ds, DateTimeOffset now)
    {
        ds.Set(DicomTags.ConversionType, IodDefaults.ConversionType);
        ds.Set(DicomTags.Modality, IodDefaults.SecondaryCaptureModality);
        ds.Set(DicomTags.SecondaryCaptureDeviceManufacturer, "Gateway");
        ds.Set(DicomTags.SecondaryCaptureDeviceSoftwareVersions, DicomImplementation.VersionName);
        ds.Set(DicomTags.DateOfSecondaryCapture, DateOnly.FromDateTime(now.DateTime));
        ds.Set(DicomTags.TimeOfSecondaryCapture, TimeOnly.FromDateTime(now.DateTime));
    }

    private static void MultiFrame(DicomDataset ds, int frames)
    {
        ds.Set(DicomTags.NumberOfFrames, frames);
        ds.Set(DicomTags.FrameIncrementPointer, DicomTags.FrameTime);
        ds.Set(DicomTags.FrameTime, IodDefaults.FrameTime);
    }

    private static void ScMultiFrameImage(DicomDataset ds, ImageFormat f)
    {
        if (f.SamplesPerPixel != 1)
            return;
        ds.Set(DicomTags.PresentationLUTShape, f.Inverted ? IodDefaults.PresentationLutShapeInverse : IodDefaults.PresentationLutShape);
        ds.Set(DicomTags.RescaleIntercept, 0.0);
        ds.Set(DicomTags.RescaleSlope, 1.0);
        ds.Set(DicomTags.RescaleType, "US");
    }

    private static void DigitalXRay(DicomDataset ds, ImageFormat f, bool forPresentation, DicomDataset metadata)
    {
        ds.Set(DicomTags.PresentationIntentType, forPresentation ? "FOR PRESENTATION" : "FOR PROCESSING");
        // DX Anatomy Imaged has Image Laterality (type 1): the series-level Laterality must then be absent.
        ds.Set(DicomTags.ImageLaterality, IodDefaults.ImageLaterality);
        ds.Remove(DicomTags.Laterality);
        ds.Set(DicomTags.PixelIntensityRelationship, IodDefaults.PixelIntensityRelationship);
        ds.Set(DicomTags.PixelIntensityRelationshipSign, IodDefaults.PixelIntensityRelationshipSign);
        ds.Set(DicomTags.RescaleIntercept, 0.0);
        ds.Set(DicomTags.RescaleSlope, 1.0);
        ds.Set(DicomTags.RescaleType, "US");
        // DX: IDENTITY for MONOCHROME2, INVERSE for MONOCHROME1 (PS3.3 C.8.11.6.1.2).
        ds.Set(DicomTags.PresentationLUTShape, f.Inverted ? IodDefaults.PresentationLutShapeInverse : IodDefaults.PresentationLutShape);
        ds.Set(DicomTags.DetectorType, "");
        ds.SetSequence(DicomTags.AcquisitionContextSequence);
        ds.SetSequence(DicomTags.AnatomicRegionSequence);
        if (forPresentation && !metadata.Contains(DicomTags.WindowCenter))
        {
            // VOI LUT (type 1C for presentation): the full stored range until the device says better.
            var levels = Math.Pow(2, f.BitsStored);
            ds.Set(DicomTags.WindowCenter, levels / 2);
            ds.Set(DicomTags.WindowWidth, levels);
        }
    }

    private static void VisibleLight(DicomDataset ds) => ds.SetSequence(DicomTags.AcquisitionContextSequence);
}
