"""Sends FILE with dcmtk's storescu (verbose) and prints the wall-clock time, in ns, at which the C-STORE response
(our SCP's acknowledgement) arrived — read from storescu's log line as it is written, not when storescu exits."""
import subprocess, sys, time

file, port = sys.argv[1], sys.argv[2]
p = subprocess.Popen(["storescu", "-v", "-aet", "MODALITY", "-aec", "GATEWAY", "127.0.0.1", port, file],
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
acked = None
for line in p.stdout:
    if acked is None and "Received Store Response" in line:
        acked = time.time_ns()
if p.wait() != 0 or acked is None:
    raise SystemExit(f"storescu failed ({p.returncode})")
print(acked)
