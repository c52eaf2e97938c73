#!/usr/bin/env bash
# `deno task slurm-test`: starts the one-node Slurm cluster (unless one is up), runs the Slurm
# tests against it, and stops the daemons it started.
set -uo pipefail
cd "$(dirname "$0")/../.."
started=0
if ! bash tests/slurm/cluster.sh status; then
  bash tests/slurm/cluster.sh start || exit 1
  started=1
fi
deno test -A tests/slurm/ "$@"
rc=$?
[ "$started" = 1 ] && bash tests/slurm/cluster.sh stop
exit $rc
