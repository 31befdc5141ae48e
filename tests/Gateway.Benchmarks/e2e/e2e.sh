#!/usr/bin/env bash
# Issue #22: an 18 MB object from the moment our SCP acknowledged it to the moment the PACS holds it, over an emulated
# gigabit link, beside the same bytes as raw TCP over the same link. Runs inside a private network namespace
# (`unshare -n`, root) whose loopback is shaped by `tc ... tbf rate 1gbit`, so nothing else on the machine shares the
# link. Usage (scripts/bench.sh e2e does this): unshare -n e2e.sh GATEWAY_EXE OBJECTS_DIR WORK_DIR
set -euo pipefail
gateway=$1 objects=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
# Ethernet framing (1500-byte MTU) on a 1 Gbit/s link.
ip link set lo mtu 1500 up
# tbf at 1 Gbit/s; a burst of 64 KB and a queue of 20 ms, as a switch port would hold (PERFORMANCE.md: 116–118 MB/s of payload).
tc qdisc add dev lo root tbf rate 1gbit burst 64kb latency 20ms

# The wire floor: the same bytes as one TCP stream, the receiver answering one byte when it has them all.
python3 "$here/raw_tcp.py" "$(ls "$objects"/*.dcm | head -1)" 10

mkdir -p "$work/pacs"
TCP_NODELAY=1 storescp -aet PACS -od "$work/pacs" 11113 >"$work/storescp.log" 2>&1 &
pacs=$!
cat >"$work/gateway.json" <<JSON
{ "box": { "id": "e2e" }, "web": { "enabled": false }, "spool": { "path": "$work/spool", "minFreeBytes": 0 },
  "localScp": { "aeTitle": "GATEWAY", "port": 11112, "bind": "127.0.0.1" },
  "destinations": [ { "name": "pacs", "aeTitle": "PACS", "host": "127.0.0.1", "port": 11113 } ] }
JSON
"$gateway" run --config "$work/gateway.json" >"$work/gateway.log" 2>&1 &
gw=$!
trap 'kill $gw $pacs 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q running "$work/gateway.log" && break; sleep 0.1; done

# One object at a time, the link otherwise idle: acknowledged (the moment storescu, as the modality, logs our C-STORE
# response) → held by the PACS (the modification time of the file storescp wrote: its last byte).
i=0
for f in "$objects"/*.dcm; do
  i=$((i + 1))
  before=$(ls "$work/pacs" | wc -l)
  acked=$(TCP_NODELAY=1 python3 "$here/ack_time.py" "$f" 11112)
  for _ in $(seq 4000); do [ "$(ls "$work/pacs" | wc -l)" -gt "$before" ] && break; sleep 0.005; done
  # storescp is done with the file when the gateway's spool has let go of it (deleted on the PACS's success).
  for _ in $(seq 4000); do [ -z "$(ls "$work/spool/state" 2>/dev/null)" ] && break; sleep 0.005; done
  held=$(stat -c %.9Y "$(ls -t "$work/pacs"/* | head -1)" | tr -d .)
  echo "gateway $i $(( (held - acked) / 1000 ))"
done
