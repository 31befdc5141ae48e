#!/usr/bin/python3
"""Reads a captured object with pydicom (issue #20) and prints what a user would check, as JSON.

check_video.py clip FILE OUT.h264        -> the H.264 stream (all fragments after the Basic Offset Table) written to OUT.h264
check_video.py still FILE REFERENCE.rgb  -> the pixels compared with ffmpeg's own RGB frame of the test pattern
"""
import io
import json
import sys

import pydicom
from pydicom.encaps import generate_pixel_data_fragment
from pydicom.filebase import DicomBytesIO


def fragments(ds):
    fp = DicomBytesIO(ds.PixelData)
    fp.is_little_endian = True
    # The first item is the Basic Offset Table.
    tag = fp.read_tag()
    length = fp.read_UL()
    bot = fp.read(length)
    return len(bot), list(generate_pixel_data_fragment(fp))


def main():
    mode, path, other = sys.argv[1:4]
    ds = pydicom.dcmread(path)
    out = {
        "ts": str(ds.file_meta.TransferSyntaxUID),
        "sopClass": str(ds.SOPClassUID),
        "rows": int(ds.Rows), "columns": int(ds.Columns),
        "photometric": str(ds.PhotometricInterpretation),
        "lossy": str(ds.get("LossyImageCompression", "")),
        "method": str(ds.get("LossyImageCompressionMethod", "")),
        "patientName": str(ds.PatientName),
    }
    if mode == "clip":
        bot, frags = fragments(ds)
        out.update({
            "frames": int(ds.NumberOfFrames),
            "frameTime": float(ds.FrameTime),
            "cineRate": int(ds.CineRate),
            "recommendedRate": int(ds.RecommendedDisplayFrameRate),
            "frameIncrementPointer": str(ds.FrameIncrementPointer),
            "basicOffsetTable": bot,
            "fragments": len(frags),
        })
        with open(other, "wb") as f:
            for frag in frags:
                f.write(frag)
    else:
        reference = open(other, "rb").read()
        if ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.50":
            from PIL import Image
            bot, frags = fragments(ds)
            image = Image.open(io.BytesIO(b"".join(frags)))
            out["jpegMode"] = image.mode
            out["jpegSubsampling"] = getattr(image, "layer", None) and [list(l) for l in image.layer]
            pixels = image.convert("RGB").tobytes()
        else:
            pixels = ds.pixel_array.tobytes()
        diffs = [abs(a - b) for a, b in zip(pixels, reference)]
        out.update({
            "length": len(pixels), "referenceLength": len(reference),
            "equal": pixels == reference,
            "meanError": sum(diffs) / max(1, len(diffs)),
            "maxError": max(diffs) if diffs else 0,
        })
    print(json.dumps(out))


main()
