#!/usr/bin/env bash
# Installs the real peers the tests run against (Debian packages, only those missing) and runs every test.
# This is the README's test command and what .ci/run calls. A test whose peer is missing fails; none is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have dcmdump || need+=(dcmtk)
have dciodvfy || need+=(dicom3tools)
# cjpeg, djpeg, tjbench: the JPEG baseline acceptance tests and benchmark (#19) measure us against libjpeg-turbo.
have cjpeg || need+=(libjpeg-turbo-progs)
have Orthanc || need+=(orthanc)
have openssl || need+=(openssl)
have socat || need+=(socat)
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
have mosquitto_sub || need+=(mosquitto-clients)
have chromium || need+=(chromium)
have chromedriver || need+=(chromium-driver)
# Japanese glyphs for the browser tests' screenshots (worklist names in ideographic and phonetic script, issue #17).
dpkg -s fonts-ipafont-gothic >/dev/null 2>&1 || need+=(fonts-ipafont-gothic)
have systemd-analyze || need+=(systemd)
# Video capture (issue #20): ffmpeg opens the grabbers and encodes H.264; its testsrc2 stands in for a grabber, ffprobe judges the streams.
have ffmpeg || need+=(ffmpeg)
have ffprobe || need+=(ffmpeg)
# Prometheus scrapes `gateway fleet`'s /metrics (issue #21).
[ -x /usr/bin/prometheus ] || need+=(prometheus)
[ -d /usr/lib/python3/dist-packages/pydicom ] || need+=(python3-pydicom)
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
/usr/bin/python3 -c 'import PIL' >/dev/null 2>&1 || need+=(python3-pil)
# GDCM behind pydicom: the codec tests' independent decoder (#19).
/usr/bin/python3 -c 'import gdcm' >/dev/null 2>&1 || need+=(python3-gdcm)
# Node and npm: the tests install their npm peers (dcmjs-dimse, axe-core) themselves on first use.
have node || need+=(nodejs)
have npm || need+=(npm)

# The arm64 proof: qemu-user-static and Debian's arm64 libraries (multiarch) run the linux-arm64 build on x86.
have qemu-aarch64-static || need+=(qemu-user-static)
if [ ! -e /lib/aarch64-linux-gnu/libc.so.6 ] && [ ! -e /usr/lib/aarch64-linux-gnu/libc.so.6 ]; then
  need+=(libc6:arm64 libgcc-s1:arm64 libstdc++6:arm64 zlib1g:arm64 libssl3:arm64)
fi
# The native `gateway` (Native AOT, deploy/publish.sh): linked by clang with lld for linux-arm64 from x64, against
# Debian's arm64 development libraries.
have clang || need+=(clang)
have ld.lld || need+=(lld)
if [ "$(uname -m)" = x86_64 ]; then
  [ -e /usr/lib/aarch64-linux-gnu/crt1.o ] || need+=(libc6-dev:arm64)
  ls /usr/lib/gcc/aarch64-linux-gnu/*/libgcc.a >/dev/null 2>&1 || need+=(libgcc-12-dev:arm64)
  [ -e /usr/lib/aarch64-linux-gnu/libz.a ] || need+=(zlib1g-dev:arm64)
fi

if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing test peers: ${need[*]}"
  if printf '%s\n' "${need[@]}" | grep -q ':arm64'; then
    $sudo dpkg --add-architecture arm64
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# One test project at a time: the fuzz and mutation tests each want both cores, and timeouts must not depend on luck.
dotnet test Gateway.sln -c Release -m:1 "$@" 2>&1 | tee "$log" || status=$?

# One plain closing line for the whole run, summed over the test assemblies.
awk '/(Passed|Failed)! +- +Failed:/ {
       for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { gsub(",", "", p); printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
