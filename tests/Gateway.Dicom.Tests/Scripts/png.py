"""Decodes a PNG (Orthanc's preview) with Pillow and writes WIDTH HEIGHT CHANNELS on the first line, then the samples.
Usage: png.py IN.png OUT.raw"""
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from PIL import Image  # noqa: E402

im = Image.open(sys.argv[1])
if im.mode not in ("L", "RGB"):
    im = im.convert("RGB" if im.mode in ("RGBA", "P") else "L")
with open(sys.argv[2], "wb") as f:
    f.write(f"{im.width} {im.height} {len(im.getbands())}\n".encode())
    f.write(im.tobytes())
