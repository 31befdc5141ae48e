"""Prints, for each file given, what pydicom reads: a canonical list of (tag, value) with pixel and other binary
values hashed, so that two files can be compared element by element. Used by Gateway.Dicom.Tests as the
independent reader. Output: one JSON object per line."""
import hashlib
import json
import sys
import warnings

warnings.simplefilter("ignore")
sys.path.insert(0, "/usr/lib/python3/dist-packages")
import pydicom  # noqa: E402

SWAP = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8, "US or OW": 2, "OB or OW": 2, "US or SS or OW": 2}


def value(elem, little):
    v = elem.value
    if isinstance(v, (bytes, bytearray)):
        b = bytes(v)
        unit = SWAP.get(elem.VR, 1)
        if not little and unit > 1:
            b = b"".join(b[i:i + unit][::-1] for i in range(0, len(b), unit))
        return "sha256:" + hashlib.sha256(b).hexdigest() + f":{len(b)}"
    if isinstance(v, pydicom.multival.MultiValue):
        return [str(x) for x in v]
    if v is None:
        return ""
    return str(v)


def canon(ds, little):
    out = []
    for elem in ds:
        if elem.tag.group == 2 or elem.tag.element == 0:
            continue
        if elem.VR == "SQ":
            out.append([f"{elem.tag:08X}", [canon(item, little) for item in elem.value]])
        else:
            out.append([f"{elem.tag:08X}", value(elem, little)])
    return out


for path in sys.argv[1:]:
    try:
        ds = pydicom.dcmread(path)
        ts = str(ds.file_meta.get("TransferSyntaxUID", "")) if hasattr(ds, "file_meta") else ""
        little = ds.is_little_endian
        compressed = bool(ts) and ts not in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99")
        print(json.dumps({"path": path, "ok": True, "ts": ts, "compressed": compressed, "elements": canon(ds, little)}))
    except Exception as e:  # noqa: BLE001 - we report every failure
        print(json.dumps({"path": path, "ok": False, "error": f"{type(e).__name__}: {e}"}))
