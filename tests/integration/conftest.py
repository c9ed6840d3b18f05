"""Shared fixtures for berth's integration tests.

Every test gets its own state root and run root under a temporary
directory, and leaves nothing behind: at teardown every container in that
root is force-removed, and the test fails if a mount, a runtime state entry
or a berth-monitor process of its root survives.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("BERTH_BUILD", os.path.join(SRC, "build"))
BERTH = os.path.join(BUILD, "berth")
RUNTIMES = ["crun", "runc"]


def _monitor_pids(root):
    """PIDs of berth-monitor processes serving this root."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"berth-monitor") and root.encode() in argv:
            pids.append(int(pid))
    return pids


def _mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path)]


class Berth:
    """Runs the berth CLI against a private root."""

    def __init__(self, base, runtime=None):
        self.base = base
        self.root = os.path.join(base, "root")
        self.runroot = os.path.join(base, "run")
        self.runtime = runtime

    def argv(self, *args):
        argv = [BERTH, "--root", self.root, "--runroot", self.runroot]
        if self.runtime:
            argv += ["--runtime", self.runtime]
        return argv + [str(a) for a in args]

    def __call__(self, *args, check=True, input=None, timeout=120, binary=False, env=None):
        """Runs berth; returns the CompletedProcess. check=True asserts success."""
        p = subprocess.run(self.argv(*args), input=input, capture_output=True,
                           timeout=timeout, text=not binary, env=env)
        if check and p.returncode != 0:
            raise AssertionError(
                f"berth {' '.join(map(str, args))} exited {p.returncode}\n"
                f"stdout: {p.stdout!r}\nstderr: {p.stderr!r}")
        return p

    def popen(self, *args, **kw):
        return subprocess.Popen(self.argv(*args), **kw)

    def out(self, *args, **kw):
        return self(*args, **kw).stdout

    def inspect(self, name):
        import json
        return json.loads(self.out("inspect", name))[0]

    def cleanup(self):
        p = self("ps", "-aq", "--no-trunc", check=False)
        ids = p.stdout.split() if p.returncode == 0 else []
        if ids:
            self("rm", "-f", *ids, check=False)
        deadline = time.time() + 10
        while _monitor_pids(self.root) and time.time() < deadline:
            time.sleep(0.05)
        leftovers = _monitor_pids(self.root)
        for pid in leftovers:
            os.kill(pid, signal.SIGKILL)
        mounts = _mounts_under(self.base)
        for m in mounts:
            subprocess.run(["umount", "-l", m], check=False)
        return leftovers, mounts


@pytest.fixture(scope="session")
def rootfs_tar(tmp_path_factory):
    """A busybox root filesystem tarball (see tests/make-busybox-rootfs.sh)."""
    out = tmp_path_factory.mktemp("rootfs") / "busybox.tar"
    subprocess.run([os.path.join(SRC, "tests", "make-busybox-rootfs.sh"), str(out)], check=True)
    return str(out)


def _new_berth(runtime=None):
    base = tempfile.mkdtemp(prefix="berth-test-", dir="/tmp")
    return Berth(base, runtime)


def _finish(b):
    leftovers, mounts = b.cleanup()
    shutil.rmtree(b.base, ignore_errors=True)
    assert not leftovers, f"berth-monitor processes left behind: {leftovers}"
    assert not mounts, f"mounts left behind: {mounts}"


@pytest.fixture
def berth():
    """berth with an empty root, the default runtime."""
    b = _new_berth()
    yield b
    _finish(b)


@pytest.fixture(params=RUNTIMES)
def rt_berth(request, rootfs_tar):
    """berth with busybox imported, once per OCI runtime."""
    b = _new_berth(request.param)
    b("import", rootfs_tar, "busybox")
    yield b
    _finish(b)


@pytest.fixture
def bb(rootfs_tar):
    """berth with busybox imported, the default runtime."""
    b = _new_berth()
    b("import", rootfs_tar, "busybox")
    yield b
    _finish(b)
