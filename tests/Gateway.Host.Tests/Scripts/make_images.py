"""Writes test images with Pillow (an encoder independent of ours) and prints, per file, the SHA-256 of the pixels as
DICOM must store them: uint8 or little-endian uint16, rows x columns (x 3 for colour, alpha dropped)."""
import hashlib
import json
import os
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(7)
cases = []


def save(name, img, expected):
    path = os.path.join(out, name)
    img.save(path)
    data = np.ascontiguousarray(expected)
    if data.dtype == np.uint16:
        data = data.astype("<u2")
    cases.append({"path": path, "sha256": hashlib.sha256(data.tobytes()).hexdigest()})


g8 = rng.integers(0, 256, (37, 53), dtype=np.uint8)
save("grey8.png", Image.fromarray(g8, "L"), g8)
g16 = rng.integers(0, 65536, (29, 31), dtype=np.uint16)
save("grey16.png", Image.fromarray(g16.astype("<u2"), "I;16"), g16)
rgb = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
save("rgb.png", Image.fromarray(rgb, "RGB"), rgb)
rgba = rng.integers(0, 256, (13, 11, 4), dtype=np.uint8)
save("rgba.png", Image.fromarray(rgba, "RGBA"), rgba[:, :, :3])
save("grey8.bmp", Image.fromarray(g8, "L"), g8)
save("rgb.bmp", Image.fromarray(rgb, "RGB"), rgb)
save("grey8.pgm", Image.fromarray(g8, "L"), g8)
save("rgb.ppm", Image.fromarray(rgb, "RGB"), rgb)
# 16-bit PGM written by hand (Pillow writes I;16 PGM inconsistently across versions): big-endian samples.
path = os.path.join(out, "grey16.pgm")
with open(path, "wb") as f:
    f.write(b"P5\n31 29\n65535\n")
    f.write(g16.astype(">u2").tobytes())
cases.append({"path": path, "sha256": hashlib.sha256(g16.astype("<u2").tobytes()).hexdigest()})
# Frames of a series (same size) for multi-frame objects.
for i in range(3):
    frame = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    save(f"series-{i}.png", Image.fromarray(frame, "RGB"), frame)
print(json.dumps(cases))
