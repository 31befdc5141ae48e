"""For each DICOM file given, prints one JSON line with what pydicom reads: the SHA-256 of pixel_array's bytes
(little endian, frames x rows x columns x samples, C order), its shape, and the patient name as text."""
import hashlib
import json
import sys
import warnings

warnings.simplefilter("ignore")
sys.path.insert(0, "/usr/lib/python3/dist-packages")
import numpy  # noqa: E402,F401
import pydicom  # noqa: E402

for path in sys.argv[1:]:
    try:
        ds = pydicom.dcmread(path)
        arr = ds.pixel_array
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        print(json.dumps({"path": path, "ok": True, "sha256": hashlib.sha256(data).hexdigest(),
                          "shape": list(arr.shape), "name": str(ds.PatientName)}))
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"path": path, "ok": False, "error": f"{type(e).__name__}: {e}"}))
