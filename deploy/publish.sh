#!/usr/bin/env bash
# Builds what the boxes run, into deploy/out/RID/ (no .NET runtime is needed on the box):
#   gateway           the command-line verbs, compiled ahead of time (Native AOT, src/Gateway.Cli): starts in a few ms
#   gateway-service   the service (`gateway run`, demo, spool, simulate, worklist): self-contained, single-file,
#                     ReadyToRun (src/Gateway.Host); `gateway run` replaces itself with it (same process id)
#   deploy/publish.sh            both machines
#   deploy/publish.sh linux-arm64
# linux-arm64 from x64 needs clang, lld and Debian's arm64 libraries for the native link (scripts/test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
rids=("$@")
[ ${#rids[@]} -gt 0 ] || rids=(linux-arm64 linux-x64)
for rid in "${rids[@]}"; do
  out="deploy/out/$rid"
  stage="deploy/out/.stage-$rid"
  rm -rf "$stage"
  # ReadyToRun needs the crossgen package of the host; arm64 is compiled from x64 (and the other way round).
  dotnet publish src/Gateway.Host -c Release -r "$rid" --self-contained \
    -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:IncludeNativeLibrariesForSelfExtract=true \
    -p:DebugType=none -o "$stage/service" >/dev/null
  dotnet publish src/Gateway.Cli -c Release -r "$rid" -p:DebugType=none -o "$stage/cli" >/dev/null
  mkdir -p "$out"
  # A single-file bundle finds its payload in itself, whatever the file is called.
  install -m 0755 "$stage/service/gateway" "$out/gateway-service.new"
  install -m 0755 "$stage/cli/gateway" "$out/gateway.new"
  mv -f "$out/gateway-service.new" "$out/gateway-service"
  mv -f "$out/gateway.new" "$out/gateway"
  rm -rf "$stage"
  echo "$out/gateway ($(du -h "$out/gateway" | cut -f1)), $out/gateway-service ($(du -h "$out/gateway-service" | cut -f1))"
done
