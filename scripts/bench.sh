#!/usr/bin/env bash
# Runs a benchmark suite side by side with dcmtk: `scripts/bench.sh dicom [--quick]`.
# Our side is the self-contained ReadyToRun publish of `gateway`, as it ships (deploy/), not a debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dcmdump >/dev/null || { echo "dcmtk is missing: run scripts/test.sh once, or apt-get install dcmtk" >&2; exit 2; }
rid="linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
out=artifacts/bench/gateway-$rid
dotnet publish src/Gateway.Host -c Release -r "$rid" --self-contained -p:PublishReadyToRun=true -o "$out" >/dev/null
dotnet build tests/Gateway.Benchmarks -c Release >/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), dcmtk $(dcmdump --version | head -1 | awk '{print $3}'), .NET $(dotnet --version)"
GATEWAY_EXE="$PWD/$out/gateway" dotnet run -c Release --no-build --project tests/Gateway.Benchmarks -- "$@"
