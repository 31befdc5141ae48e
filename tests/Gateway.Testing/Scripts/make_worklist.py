"""Writes Modality Worklist files for dcmtk's wlmscpfs with pydicom (an independent encoder): one per character set.

usage: make_worklist.py DIR            -> DIR/latin1.wl, DIR/utf8.wl, DIR/jis.wl
       make_worklist.py DIR --scheduled YYYYMMDD
                                       -> the same three patients as DX steps of ROOM7 around that day (WL-1 and
                                          WL-3 on it, WL-2 the day after), and steps the box must not get: WL-4
                                          40 days later, WL-5 for ROOM9, WL-6 a US step; and WL-7, a step of ROOM7
                                          on the day without Study Instance UID and Scheduled Procedure Step ID
                                          (wlmscpfs leaves such a file out), and WL-8, one whose Study Instance
                                          UID is not a UID
       make_worklist.py DIR --many N   -> DIR/many0000.wl … : N ASCII entries (MANY-0000 …), each with a 10 KB
                                          PatientComments, so that answers asking for it outrun the socket buffers
"""
import sys
from datetime import date, timedelta
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

def item(name, charset, pid, acc, modality, start):
    ds = Dataset()
    ds.SpecificCharacterSet = charset
    ds.PatientName = name
    ds.PatientID = pid
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.AccessionNumber = acc
    ds.RequestedProcedureID = "RP-" + pid
    ds.RequestedProcedureDescription = "Chest"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.99.6" + pid[-1]
    ds.ReferringPhysicianName = ""
    sps = Dataset()
    sps.Modality = modality
    sps.ScheduledStationAETitle = "ROOM7"
    sps.ScheduledProcedureStepStartDate = start
    sps.ScheduledProcedureStepStartTime = "0900"
    sps.ScheduledProcedureStepID = "SPS-" + pid
    sps.ScheduledProcedureStepDescription = "Chest two views"
    ds.ScheduledProcedureStepSequence = Sequence([sps])
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.31"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.99.70" + pid[-1]
    return ds

out = sys.argv[1]
if len(sys.argv) == 4 and sys.argv[2] == "--scheduled":
    day = date(int(sys.argv[3][:4]), int(sys.argv[3][4:6]), int(sys.argv[3][6:]))
    def at(days):
        return (day + timedelta(days=days)).strftime("%Y%m%d")
    def station(ds, ae):
        ds.ScheduledProcedureStepSequence[0].ScheduledStationAETitle = ae
        return ds
    broken = item("Ohne^Schluessel", "ISO_IR 100", "WL-7", "ACC-7", "DX", at(0))
    del broken.StudyInstanceUID
    del broken.ScheduledProcedureStepSequence[0].ScheduledProcedureStepID
    items = {
        "latin1": item("Müller^Hélène", "ISO_IR 100", "WL-1", "ACC-1", "DX", at(0)),
        "utf8": item("Dvořák^Zoë", "ISO_IR 192", "WL-2", "ACC-2", "DX", at(1)),
        "jis": item("Yamada^Tarou=山田^太郎=やまだ^たろう", ["", "ISO 2022 IR 87"], "WL-3", "ACC-3", "DX", at(0)),
        "later": item("Spaeter^Paul", "ISO_IR 100", "WL-4", "ACC-4", "DX", at(40)),
        "room9": station(item("Anders^Raum", "ISO_IR 100", "WL-5", "ACC-5", "DX", at(0)), "ROOM9"),
        "us": item("Schall^Ulla", "ISO_IR 100", "WL-6", "ACC-6", "US", at(0)),
        "broken": broken,
        "malformed": item("Kaputt^Karl", "ISO_IR 100", "WL-8", "ACC-8", "DX", at(0)),
    }
    items["malformed"].StudyInstanceUID = "1.2.826.0.1.3680043.10.99.x8"
    # WL-1 also carries the codes and the referenced study that the images and the MPPS take over (issue #17).
    def code(value, scheme, meaning):
        c = Dataset()
        c.CodeValue = value
        c.CodingSchemeDesignator = scheme
        c.CodeMeaning = meaning
        return c
    wl1 = items["latin1"]
    wl1.ScheduledProcedureStepSequence[0].ScheduledProtocolCodeSequence = Sequence([code("P-CHEST-2", "99GW", "Chest PA and lateral")])
    wl1.RequestedProcedureCodeSequence = Sequence([code("RPC-CHEST", "99GW", "Chest radiograph")])
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    ref.ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.10.99.81"
    wl1.ReferencedStudySequence = Sequence([ref])
    for name, ds in items.items():
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        ds.save_as(f"{out}/{name}.wl", write_like_original=False)
    sys.exit(0)
if len(sys.argv) == 4 and sys.argv[2] == "--many":
    for i in range(int(sys.argv[3])):
        ds = item(f"Many^{i:04d}", "ISO_IR 100", f"MANY-{i:04d}", f"M-{i:04d}", "CR", "20261203")
        ds.PatientComments = ("comment %04d " % i) * 787  # about 10 KB (LT holds up to 10,240 characters)
        ds.file_meta.MediaStorageSOPInstanceUID = f"1.2.826.0.1.3680043.10.99.71.{i}"
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        ds.save_as(f"{out}/many{i:04d}.wl", write_like_original=False)
    sys.exit(0)
items = {
    "latin1": item("Müller^Hélène", "ISO_IR 100", "WL-1", "ACC-1", "DX", "20261201"),
    "utf8": item("Dvořák^Zoë", "ISO_IR 192", "WL-2", "ACC-2", "DX", "20261201"),
    "jis": item("Yamada^Tarou=山田^太郎=やまだ^たろう", ["", "ISO 2022 IR 87"], "WL-3", "ACC-3", "US", "20261202"),
}
for name, ds in items.items():
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(f"{out}/{name}.wl", write_like_original=False)
