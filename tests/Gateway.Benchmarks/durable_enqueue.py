"""The reference for the spool's durable enqueue: the same system calls in plain Python — payload to tmp, fsync,
state to tmp, fsync, rename payload, fsync dir, rename state, fsync dir — for N payloads of SIZE bytes.
Prints the elapsed seconds."""
import json
import os
import sys
import time

root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in ("tmp", "objects", "state"):
    os.makedirs(os.path.join(root, d), exist_ok=True)
payload = os.urandom(size)


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


start = time.perf_counter()
for i in range(n):
    name = f"{i:019d}"
    tmp_payload = os.path.join(root, "tmp", name + ".dcm")
    with open(tmp_payload, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    tmp_state = os.path.join(root, "tmp", name + ".json")
    with open(tmp_state, "w") as f:
        json.dump({"id": name, "size": size}, f)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp_payload, os.path.join(root, "objects", name + ".dcm"))
    fsync_dir(os.path.join(root, "objects"))
    os.rename(tmp_state, os.path.join(root, "state", name + ".json"))
    fsync_dir(os.path.join(root, "state"))
print(time.perf_counter() - start)
