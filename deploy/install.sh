#!/usr/bin/env bash
# Installs or upgrades the gateway on a box (as root). The spool and the configuration survive an upgrade.
#   deploy/publish.sh linux-arm64 && sudo deploy/install.sh                 # on the box, from a checkout
#   sudo deploy/install.sh path/to/gateway                                 # a binary built elsewhere
#   DESTDIR=/tmp/stage deploy/install.sh                                    # into a staging root (packaging, tests):
#                                                                           # no user, no chown, no systemctl
# Layout: /opt/gateway/gateway and gateway-service (+ *.previous, the binaries before the last upgrade), /etc/gateway/gateway.json
# (created once, never overwritten), /etc/gateway/profiles/*.json (shipped profiles refreshed, your own kept),
# /var/lib/gateway (the spool, never touched), /etc/systemd/system/gateway.service, /etc/udev/rules.d/99-gateway-serial.rules.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
root=${DESTDIR:-}
case "$(uname -m)" in
  aarch64) rid=linux-arm64 ;;
  x86_64) rid=linux-x64 ;;
  *) echo "install.sh: unsupported machine $(uname -m)" >&2; exit 2 ;;
esac
binary=${1:-$here/out/$rid/gateway}
[ -f "$binary" ] || { echo "install.sh: $binary does not exist: run deploy/publish.sh $rid first" >&2; exit 2; }
[ -n "$root" ] || [ "$(id -u)" = 0 ] || { echo "install.sh: run as root (or set DESTDIR for a staging root)" >&2; exit 2; }

say() { echo "install.sh: $*"; }

# 1. The service user: its own group, plus dialout (serial ports), gpio (/dev/gpiochip*) and i2c (/dev/i2c-*, the
#    optional front panel). Debian has no gpio or i2c group by default, and the unit's SupplementaryGroups= would
#    stop the service from starting without them: they are made here.
if [ -z "$root" ]; then
  getent group gpio >/dev/null || groupadd --system gpio
  getent group i2c >/dev/null || groupadd --system i2c
  id gateway >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/gateway --no-create-home --shell /usr/sbin/nologin gateway
  usermod -a -G dialout,gpio,i2c,video gateway
fi

# 2. The binaries, replaced atomically; the previous ones are kept for a rollback. deploy/publish.sh makes two: the
#    native `gateway` (the command-line verbs) and `gateway-service` beside it (the managed service `gateway run` hands
#    over to); a single self-contained `gateway` (older builds) is installed alone and an old gateway-service set aside.
install -d -m 0755 "$root/opt/gateway"
service_src="$(dirname "$binary")/gateway-service"
[ -f "$root/opt/gateway/gateway" ] && upgrade=1 || upgrade=0
for name in gateway gateway-service; do
  rm -f "$root/opt/gateway/$name.previous"
  if [ -f "$root/opt/gateway/$name" ]; then cp -p "$root/opt/gateway/$name" "$root/opt/gateway/$name.previous"; fi
done
if [ -f "$service_src" ]; then install -m 0755 "$service_src" "$root/opt/gateway/gateway-service.new"; fi
install -m 0755 "$binary" "$root/opt/gateway/gateway.new"
if [ -f "$service_src" ]; then
  mv -f "$root/opt/gateway/gateway-service.new" "$root/opt/gateway/gateway-service"
else
  rm -f "$root/opt/gateway/gateway-service"
fi
mv -f "$root/opt/gateway/gateway.new" "$root/opt/gateway/gateway"

# 3. Configuration: the example only when there is none; shipped profiles refreshed, others left alone.
install -d -m 0770 "$root/etc/gateway" "$root/etc/gateway/profiles"
if [ ! -f "$root/etc/gateway/gateway.json" ]; then
  install -m 0660 "$here/gateway.json" "$root/etc/gateway/gateway.json"
  say "wrote /etc/gateway/gateway.json from the example: edit it (destinations, device) before starting"
else
  say "kept /etc/gateway/gateway.json"
fi
install -m 0644 "$repo"/hardware/profiles/*.json "$root/etc/gateway/profiles/"
[ -n "$root" ] || chown -R root:gateway /etc/gateway

# 4. State: the spool lives in /var/lib/gateway (systemd's StateDirectory); an existing one is never touched.
install -d -m 0750 "$root/var/lib/gateway"
[ -n "$root" ] || chown gateway:gateway /var/lib/gateway

# 5. The unit and the udev rules.
install -d "$root/etc/systemd/system" "$root/etc/udev/rules.d"
install -m 0644 "$repo/systemd/gateway.service" "$root/etc/systemd/system/gateway.service"
install -m 0644 "$repo/hardware/udev/99-gateway-serial.rules" "$root/etc/udev/rules.d/99-gateway-serial.rules"

# 6. The new binary must accept the configuration it will run with; if not, the old binary is put back.
if ! "$root/opt/gateway/gateway" run --check --config "$root/etc/gateway/gateway.json"; then
  if [ "$upgrade" = 1 ]; then
    mv -f "$root/opt/gateway/gateway.previous" "$root/opt/gateway/gateway"
    if [ -f "$root/opt/gateway/gateway-service.previous" ]; then
      mv -f "$root/opt/gateway/gateway-service.previous" "$root/opt/gateway/gateway-service"
    else
      rm -f "$root/opt/gateway/gateway-service"
    fi
    say "the new version refuses the configuration (above); the previous binary is back in place, nothing restarted" >&2
    exit 1
  fi
  say "the configuration needs editing (above) before the service can start"
  fresh_config_invalid=1
fi

# 7. systemd (only on a box booted with it).
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  udevadm control --reload || true
  systemctl daemon-reload
  systemctl enable gateway.service
  if [ "${fresh_config_invalid:-0}" = 0 ]; then
    systemctl restart gateway.service
    say "gateway.service (re)started: systemctl status gateway"
  fi
else
  say "systemd not running here: unit installed, not enabled"
fi
say "done ($([ "$upgrade" = 1 ] && echo upgrade || echo new install))"
