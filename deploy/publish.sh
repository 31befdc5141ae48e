#!/usr/bin/env bash
# Builds the self-contained, single-file, ReadyToRun `gateway` for the boxes: deploy/out/linux-arm64/gateway and
# deploy/out/linux-x64/gateway. No .NET runtime is needed on the box.
#   deploy/publish.sh            both
#   deploy/publish.sh linux-arm64
set -euo pipefail
cd "$(dirname "$0")/.."
rids=("$@")
[ ${#rids[@]} -gt 0 ] || rids=(linux-arm64 linux-x64)
for rid in "${rids[@]}"; do
  out="deploy/out/$rid"
  # ReadyToRun needs the crossgen package of the host; arm64 is compiled from x64 (and the other way round).
  dotnet publish src/Gateway.Host -c Release -r "$rid" --self-contained \
    -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:IncludeNativeLibrariesForSelfExtract=true \
    -p:DebugType=none -o "$out" >/dev/null
  echo "$out/gateway ($(du -h "$out/gateway" | cut -f1))"
done
