"""Shared fixtures for berth's integration tests.

Every test gets its own state root and run root under a temporary
directory, and leaves nothing behind: at teardown every container in that
root is force-removed, and the test fails if a mount, a runtime state
entry, a berth-monitor process of its root or a cgroup of its containers
survives.
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


CGROUP_PARENTS = "/sys/fs/cgroup"


def _cgroup_ids():
    """Container IDs that have a cgroup under berth's parent, in any
    hierarchy (v1 controllers, the unified one)."""
    ids = set()
    for hier in os.listdir(CGROUP_PARENTS):
        try:
            ids.update(x for x in os.listdir(os.path.join(CGROUP_PARENTS, hier, "berth"))
                       if len(x) == 64)
        except OSError:
            pass
    return ids


def _stale_cgroups(before):
    """The cgroups made since `before` that no process uses: a container's
    cgroup must go when it stops. Other processes may run containers at
    the same time, so only empty ones count, and one that goes away within
    a few seconds is a removal in progress. They are removed (after being
    reported) so that the machine is left clean."""
    deadline = time.time() + 3
    while True:
        stale = {}
        for cid in _cgroup_ids() - before:
            dirs = [d for d in (os.path.join(CGROUP_PARENTS, h, "berth", cid)
                                for h in os.listdir(CGROUP_PARENTS)) if os.path.isdir(d)]
            procs = ""
            for d in dirs:
                try:
                    with open(os.path.join(d, "cgroup.procs")) as f:
                        procs += f.read()
                except OSError:
                    pass
            if not procs.strip():
                stale[cid] = dirs
        if not stale or time.time() > deadline:
            break
        time.sleep(0.1)
    for dirs in stale.values():
        for d in dirs:
            try:
                os.rmdir(d)
            except OSError:
                pass
    return sorted(stale)


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
        self.cgroups_before = _cgroup_ids()

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
    cgroups = _stale_cgroups(b.cgroups_before)
    assert not cgroups, f"cgroups left behind: {cgroups}"


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


BERTHD = os.path.join(BUILD, "berthd")


class Daemon:
    """A berthd on its own roots and socket, and the clients that talk to it:
    docker-py (self.client), the docker CLI (self.docker(...)) and the
    berth CLI on the same roots (self.berth(...))."""

    def __init__(self, base):
        self.base = base
        self.sock = os.path.join(base, "berthd.sock")
        self.url = "unix://" + self.sock
        self.berth = Berth(base)
        self.proc = None
        self.log = os.path.join(base, "berthd.log")
        self._client = None

    def start(self, *extra):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [BERTHD, "--root", self.berth.root, "--runroot", self.berth.runroot,
             "-H", self.url, *extra], stdout=logf, stderr=logf)
        deadline = time.time() + 20
        import socket
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"berthd exited: {open(self.log).read()}")
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.sock)
                s.close()
                return self
            except OSError:
                time.sleep(0.02)
        raise AssertionError("berthd did not listen")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("berthd did not stop on SIGTERM")
        if self._client:
            self._client.close()
            self._client = None

    @property
    def client(self):
        if self._client is None:
            import docker
            self._client = docker.DockerClient(base_url=self.url, timeout=120)
        return self._client

    def docker(self, *args, check=True, input=None, timeout=120):
        """Runs the docker CLI against this daemon."""
        p = subprocess.run(["docker", "-H", self.url, *[str(a) for a in args]], input=input,
                           capture_output=True, text=True, timeout=timeout,
                           env=dict(os.environ, DOCKER_CONFIG=os.path.join(self.base, "dcfg")))
        if check and p.returncode != 0:
            raise AssertionError(f"docker {' '.join(map(str, args))} exited {p.returncode}\n"
                                 f"stdout: {p.stdout!r}\nstderr: {p.stderr!r}")
        return p


@pytest.fixture
def daemon(rootfs_tar):
    """berthd on a private root with busybox imported; stopped and cleaned
    after the test (every container removed, no monitor or mount left)."""
    base = tempfile.mkdtemp(prefix="berthd-test-", dir="/tmp")
    d = Daemon(base)
    d.berth("import", rootfs_tar, "busybox")
    d.start()
    try:
        yield d
    finally:
        d.stop()
        _finish(d.berth)
