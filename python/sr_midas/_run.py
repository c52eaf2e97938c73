"""Finding and running the srmidas CLI."""
import os
import shutil
import subprocess
import sys

# The checkout this package was installed from (pip copies this file; the path is recorded at
# build time only when installed in development mode, so it is a last resort).
_CHECKOUT_LAUNCHER = os.path.join(os.path.dirname(__file__), "..", "..", "bin", "srmidas")


class SrmidasError(RuntimeError):
    """srmidas exited with an error; the message is srmidas's own error text."""


def srmidas_command():
    """The argv prefix that runs srmidas: $SRMIDAS, else `srmidas` on PATH, else the checkout."""
    env = os.environ.get("SRMIDAS")
    if env:
        return [env]
    found = shutil.which("srmidas")
    if found:
        return [found]
    local = os.path.abspath(_CHECKOUT_LAUNCHER)
    if os.path.exists(local):
        return [local]
    raise SrmidasError(
        "srmidas not found: set SRMIDAS to the path of srmidas's bin/srmidas, "
        "or put srmidas on PATH (npm install -g . in the srmidas checkout)"
    )


def run(args, capture=True):
    """Runs `srmidas ARGS…`; raises SrmidasError with srmidas's error lines when it fails."""
    cmd = srmidas_command() + [str(a) for a in args]
    if not capture:
        return subprocess.call(cmd)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(proc.stderr)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower() or "fail" in ln.lower()]
        raise SrmidasError("\n".join(errors or lines[-5:]) or f"srmidas exited {proc.returncode}")
    return proc
