#!/usr/bin/env bash
# Runs a benchmark suite side by side with dcmtk: `scripts/bench.sh dicom [--quick]`; `scripts/bench.sh soak [STEPS] [SEED]` runs the
# integrity invariant test with a long fault schedule. `scripts/bench.sh network --large [--rounds N]` runs only the
# bulk transfers (5 × 200 MB, one 1 GiB object) against storescu, N alternating rounds (default 5), medians.
# `scripts/bench.sh codecs --jpeg-baseline --in-process [--quick]`: only our
# JPEG baseline codec in-process against libjpeg-turbo's tjbench (no publish, no processes: the quick loop while tuning it).
# `scripts/bench.sh codecs --jpeg-baseline --stages [--quick]`: the time of each stage of that codec alone (no publish either).
# `scripts/bench.sh codecs --in-process [--only jpeg-lossless|jpeg-ls|rle|jpeg-ls-near] [--quick]`: our lossless codecs
# in-process only (no publish, no dcmtk), the quick loop while tuning one. Without --in-process, `--only jpeg-ls` is
# that codec's whole-process rows alone (`gateway convert` against dcmcjpls / dcmdjpls), after the publish.
# `GATEWAY_EXE=/path/to/gateway scripts/bench.sh codecs --only jpeg-ls`: measures that native `gateway` instead of
# publishing this tree (a before and an after in one sitting; the in-process column is still this tree's code).
# `scripts/bench.sh codecs --forward-memory [--quick]`: the peak memory of the forwarder's transcode on the way of a
# 50-frame 100 MB object (frame by frame through a scratch file, against the whole object in memory and dcmtk; no publish).
# `scripts/bench.sh spool --index`: only the 100,000-entry spool index (recovery, managed memory, NextDue), in-process;
# `spool --enqueue` / `spool --forward`: only the durable enqueue / the forwarding of 10,000 small objects (no publish).
# Our side is what deploy/publish.sh ships (the native `gateway`, the ReadyToRun `gateway-service`), not a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."

# `scripts/bench.sh soak [STEPS] [SEED]`: the integrity invariant test (issue #13) with a long random fault schedule.
# Prints the seed, every step and the checker's verdict; a failing seed replays with the same two arguments.
if [ "${1:-}" = soak ]; then
  steps=${2:-200}
  seed=${3:-$(( (RANDOM << 15 | RANDOM) % 1000000 + 1 ))}
  dotnet build tests/Gateway.IntegrationTests -c Release >/dev/null
  log=artifacts/bench/soak-$seed.log
  mkdir -p artifacts/bench
  start=$(date +%s)
  status=0
  GATEWAY_INVARIANT_STEPS=$steps GATEWAY_INVARIANT_SEED=$seed timeout 7200 dotnet test tests/Gateway.IntegrationTests -c Release --no-build \
    --filter "FullyQualifiedName~InvariantTests" --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
  grep -E "invariant schedule|modality:|end:" "$log" | sed 's/^ *//'
  echo "steps by kind:"
  grep -oE "step [0-9]+: (SIGKILL|SIGSTOP|PACS down|spool volume full|spool list|spool retry|spool purge|configuration change|malformed files)" "$log" \
    | sed -E 's/step [0-9]+: //' | sort | uniq -c | sed 's/^/  /'
  echo "verdict: $([ $status = 0 ] && echo 'invariant held' || echo "VIOLATED (see $log)") after $(( $(date +%s) - start )) s"
  exit $status
fi
command -v dcmdump >/dev/null || { echo "dcmtk is missing: run scripts/test.sh once, or apt-get install dcmtk" >&2; exit 2; }
rid="linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
out=deploy/out/$rid
# What ships: the native `gateway` and the ReadyToRun `gateway-service` beside it (deploy/publish.sh).
# Not needed for the in-process runs (`codecs --in-process`), which start no `gateway` process.
case " $* " in *" --in-process "* | *" --stages "* | *" --forward-memory "*) in_process=1 ;; *) in_process=0 ;; esac
# `spool --index` (the 100,000-entry index only, issue #22) is in-process too.
case " $* " in *" --index "* | *" --enqueue "* | *" --forward "*) index_only=1 ;; *) index_only=0 ;; esac
[ "$in_process" = 1 ] || [ "$index_only" = 1 ] || [ -n "${GATEWAY_EXE:-}" ] || deploy/publish.sh "$rid" >/dev/null
dotnet build tests/Gateway.Benchmarks -c Release >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), dcmtk $(dcmdump --version | head -1 | awk '{print $3}'), .NET $(dotnet --version)"
GATEWAY_EXE="${GATEWAY_EXE:-$PWD/$out/gateway}" dotnet run -c Release --no-build --project tests/Gateway.Benchmarks -- "$@"
