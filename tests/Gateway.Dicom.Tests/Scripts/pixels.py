"""Decodes a DICOM file's pixel data with pydicom and GDCM (the independent decoder of Gateway.Dicom.Tests' codec
tests; RLE, which pydicom 2.3 does not route to GDCM, with pydicom's own RLE handler) and writes the samples, little endian, frames one after the other, samples interleaved, to OUT.
Usage: pixels.py IN.dcm OUT.raw"""
import sys
import warnings

warnings.simplefilter("ignore")
sys.path.insert(0, "/usr/lib/python3/dist-packages")
import pydicom  # noqa: E402
from pydicom.pixel_data_handlers import gdcm_handler, rle_handler  # noqa: E402

if not gdcm_handler.is_available():
    sys.exit("GDCM is missing: install Debian package python3-gdcm")
pydicom.config.pixel_data_handlers = [gdcm_handler, rle_handler]
ds = pydicom.dcmread(sys.argv[1])
arr = ds.pixel_array
# GDCM hands back lossy JPEG colour as the YCbCr it is coded in: convert it as a viewer would (PS3.3 C.7.6.3.1.2).
if ds.get("SamplesPerPixel", 1) == 3 and str(ds.PhotometricInterpretation).startswith("YBR"):
    from pydicom.pixel_data_handlers.util import convert_color_space  # noqa: E402
    arr = convert_color_space(arr, "YBR_FULL", "RGB")
with open(sys.argv[2], "wb") as f:
    f.write(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
