#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the Slurm executor's tests (run as root).
#   tests/slurm/cluster.sh start    start munged, slurmctld, slurmd (or reuse a running cluster)
#   tests/slurm/cluster.sh stop     stop the daemons this script started, by PID
#   tests/slurm/cluster.sh status   exit 0 when a node is up and idle/mixed/allocated
# No systemd: the daemons are started by hand. The node's name, CPUs and memory come from this
# machine (`hostname -s`, nproc, /proc/meminfo). Packages: slurm-wlm (slurmctld, slurmd,
# slurm-client) and munge; `.ci/run` installs them with apt. Prints one line saying why when
# the cluster cannot start, and exits non-zero.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
STATE=/run/srmidas-slurm
CONF_DIR=/etc/slurm
MARK="# written by srmidas tests/slurm/cluster.sh"

die() { echo "slurm cluster: $*" >&2; exit 1; }

up() {
  local s
  s=$(timeout 5 sinfo -h -o %t 2>/dev/null | head -1) || return 1
  [[ "$s" =~ ^(idle|mix|alloc|comp) ]]
}

write_conf() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
  mkdir -p "$CONF_DIR"
  if [ -f "$CONF_DIR/slurm.conf" ] && ! grep -qF "$MARK" "$CONF_DIR/slurm.conf"; then
    cp "$CONF_DIR/slurm.conf" "$CONF_DIR/slurm.conf.before-srmidas"
  fi
  local gres="" gresType=""
  # Slurm's gpu GRES needs device files; fake ones let tests ask for --gres=gpu:1.
  if { [ -e /dev/fakegpu0 ] || mknod /dev/fakegpu0 c 1 3 2>/dev/null; } &&
    { [ -e /dev/fakegpu1 ] || mknod /dev/fakegpu1 c 1 3 2>/dev/null; }; then
    gres=" Gres=gpu:2"
    gresType="GresTypes=gpu"
    { echo "$MARK"; echo "AutoDetect=off"; echo "NodeName=$host Name=gpu File=/dev/fakegpu[0-1]"; } \
      >"$CONF_DIR/gres.conf"
  fi
  sed -e "s/@HOST@/$host/g" -e "s/@CPUS@/$cpus/g" -e "s/@MEM@/$mem/g" \
    -e "s/@GRES@/$gres/g" -e "s/@GRESTYPES@/$gresType/g" "$HERE/slurm.conf.in" |
    { echo "$MARK"; cat; } >"$CONF_DIR/slurm.conf"
}

start() {
  # One start at a time (test processes may race).
  mkdir -p "$STATE"
  exec 9>"$STATE/lock"
  flock 9
  if up; then echo "slurm cluster: already up (reusing it)"; return 0; fi
  [ "$(id -u)" = 0 ] || die "needs root to start munged/slurmctld/slurmd"
  for b in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd sbatch squeue scontrol scancel sinfo; do
    command -v "$b" >/dev/null 2>&1 || die "$b not installed (apt-get install slurm-wlm munge)"
  done
  id slurm >/dev/null 2>&1 || die "no 'slurm' user (the slurm-wlm package creates it)"
  mkdir -p "$STATE" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm /run/munge \
    /etc/munge /var/lib/munge /var/log/munge
  chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm
  chown munge:munge /run/munge /var/lib/munge /var/log/munge /etc/munge
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
  write_conf
  if ! [ -S /run/munge/munge.socket.2 ] || ! munge -n </dev/null >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged --force || die "munged did not start"
    sleep 0.5
    cat /run/munge/munged.pid >"$STATE/munged.pid" 2>/dev/null
  fi
  # -c: forget jobs of earlier test runs.
  /usr/sbin/slurmctld -c || die "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
  cp /run/slurm/slurmctld.pid "$STATE/slurmctld.pid" 2>/dev/null
  /usr/sbin/slurmd || die "slurmd did not start (see /var/log/slurm/slurmd.log)"
  sleep 0.5
  cp /run/slurm/slurmd.pid "$STATE/slurmd.pid" 2>/dev/null
  for _ in $(seq 1 60); do
    if up; then echo "slurm cluster: up ($(sinfo -h -o '%P %t %N %c cpus'))"; return 0; fi
    case "$(sinfo -h -o %t 2>/dev/null | head -1)" in
    drain* | down* | drng*) scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 ;;
    esac
    sleep 0.5
  done
  die "daemons started but no node came up in 30 s (sinfo: $(sinfo -h 2>&1 | head -1))"
}

stop() {
  local f pid
  for f in slurmd slurmctld munged; do
    [ -f "$STATE/$f.pid" ] || continue
    pid=$(cat "$STATE/$f.pid")
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$STATE/$f.pid"
  done
  echo "slurm cluster: stopped"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) up ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
