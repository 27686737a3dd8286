"""``run_cli``: the CLI run as a process, ``python -m juesuan …``, with its own exit code, stdout, stderr,
argument list, working folder and environment.

Starting Python and importing pandas, pandera, scipy and openpyxl takes about a second, and the tests
run the CLI some sixty times. So, where the system can fork, each run is a process forked from a warm
interpreter (started once, on first use) that has imported those third-party libraries and nothing of
juesuan: in the child juesuan starts from scratch (imports, profile, catalog) exactly as in
``python -m juesuan``. ``run_cli(..., fresh=True)`` — and every run when JUESUAN_TEST_FRESH_CLI=1 or
where there is no fork (Windows) — starts a new interpreter instead.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

_WARM = r'''
import io, json, os, runpy, signal, sys, time, traceback

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # no BLAS threads to lose at fork (each child gets its own env)
import numpy, pandas, pandera.pandas, pandera.errors, scipy.optimize, scipy.sparse, yaml, openpyxl
import openpyxl.comments, openpyxl.formatting.rule, openpyxl.styles, openpyxl.worksheet.datavalidation
import python_calamine, defusedxml, argparse, decimal, zipfile
assert not any(m == "juesuan" or m.startswith("juesuan.") for m in sys.modules), "the warm interpreter imported juesuan"
import gc
gc.freeze()  # the children share these objects' pages instead of copying them when the collector runs


def child(req):
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, req["out"], os.O_WRONLY | os.O_TRUNC),
                            (2, req["err"], os.O_WRONLY | os.O_TRUNC)):
        f = os.open(path, flags)
        os.dup2(f, fd)
        os.close(f)
    enc = os.environ.get("PYTHONIOENCODING", "utf-8").split(":")[0] or "utf-8"
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=enc)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=enc, errors="strict")
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=enc, errors="backslashreplace",
                                  line_buffering=True)
    sys.path.insert(0, os.getcwd())  # as python -m puts the working folder first
    sys.argv = ["juesuan", *req["args"]]
    code = 0
    try:
        runpy.run_module("juesuan", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            code = code or 120
    os._exit(code)


for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        try:
            child(req)
        finally:
            os._exit(125)
    deadline = time.monotonic() + req["timeout"]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            reply = {"code": os.waitstatus_to_exitcode(status)}
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            reply = {"timeout": True}
            break
        time.sleep(0.002)
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
'''


class _Warm:
    def __init__(self):
        # -P: the warm interpreter imports its libraries with no folder of its own in front of sys.path
        self.proc = subprocess.Popen([sys.executable, "-P", "-c", _WARM], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=tempfile.gettempdir())
        self.lock = threading.Lock()
        self.folder = tempfile.TemporaryDirectory(prefix="juesuan-cli-")
        atexit.register(self.close)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        self.folder.cleanup()

    def run(self, cmd: list[str], cwd, env, timeout) -> subprocess.CompletedProcess:
        out, err = Path(self.folder.name, "stdout"), Path(self.folder.name, "stderr")
        with self.lock:
            out.write_bytes(b"")
            err.write_bytes(b"")
            req = {"args": cmd, "cwd": str(cwd or os.getcwd()), "env": env, "timeout": timeout,
                   "out": str(out), "err": str(err)}
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the warm interpreter of run_cli died")
            reply = json.loads(line)
            stdout, stderr = out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
        args = [sys.executable, "-m", "juesuan", *cmd]
        if reply.get("timeout"):
            raise subprocess.TimeoutExpired(args, timeout, stdout, stderr)
        return subprocess.CompletedProcess(args, reply["code"], stdout, stderr)


_warm: _Warm | None = None


def run_cli(*args, cwd=None, timeout=120, fresh=False) -> subprocess.CompletedProcess:
    """Run the CLI as a process (``python -m juesuan``): see the module's doc."""
    global _warm
    cmd = [str(a) for a in args]
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    if fresh or not hasattr(os, "fork") or os.environ.get("JUESUAN_TEST_FRESH_CLI") == "1":
        return subprocess.run([sys.executable, "-m", "juesuan", *cmd], capture_output=True, text=True, cwd=cwd,
                              timeout=timeout, env=env)
    if _warm is None or _warm.proc.poll() is not None:
        _warm = _Warm()
    return _warm.run(cmd, cwd, env, timeout)
