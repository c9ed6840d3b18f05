"""A scratch dockerd to compare berthd with, in the same bench run.

compare() starts Debian's dockerd (package docker.io; the bench never
installs it: without it the comparison is skipped with one line), imports
the bench's busybox tarball into it as `busybox`, runs api_bench.py's own
measure() on it (run latency, 4-client throughput, list of N containers),
takes the idle RSS of dockerd and of its containerd, and prints dockerd's
figures and a berthd/dockerd table.

How dockerd is kept from touching the shared machine:

- network: it runs in a network namespace of its own (`ip netns add
  berth-bench-<random>`), entered with `nsenter --net` (not `ip netns exec`,
  which remounts /sys and so hides the cgroup hierarchies dockerd needs), and
  with --iptables=false --ip6tables=false --ip-forward=false --bridge=none:
  no docker0, no iptables rule, no sysctl outside that namespace. Containers
  get network_mode "none" when there is no default network (berth's default
  is the same: a fresh network namespace with only lo). Its only socket is a
  unix socket in its scratch directory: nothing leaves the machine.
- files: --data-root, --exec-root, --pidfile, -H unix://..., and an empty
  --config-file all live in one scratch directory under /var/tmp. dockerd
  also runs in a private mount namespace (`unshare --mount`, propagation
  private) in which /run, /opt and /etc/docker are bind mounts of empty
  scratch directories: the host paths it and containerd write to whatever
  the flags say (/etc/docker/key.json, /opt/containerd, the shims' sockets
  and runc's state under /run/containerd) land in scratch, and the
  containers' mounts live and die in that namespace.
- containerd: dockerd 20.10 uses the system containerd only when
  /run/containerd/containerd.sock exists; in its private, empty /run it
  cannot, so it always starts a managed containerd with its state under
  <exec-root>/containerd and its root under <data-root>/containerd. compare()
  checks that the containerd child of dockerd is that one before measuring.
- cgroups: --cgroup-parent is /dockerd-bench-<random>, removed afterwards.
- stopping: SIGTERM to dockerd by its PID, SIGKILL after 30 s; then any
  process left in its network or mount namespace (a stray shim) is killed
  through a pidfd. Then anything still mounted under the scratch directory
  in the host's namespace is unmounted, the directory removed and the
  namespace deleted: in a finally, so also on errors and on Ctrl-C.
"""
import contextlib
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DOCKERD = "/usr/sbin/dockerd"
TOOLS = ("ip", "nsenter", "unshare")
# Host paths dockerd or containerd write to whatever their flags say.
HIDDEN = ("/run", "/opt", "/etc/docker")
API = "v1.41"  # dockerd 20.10's newest API version


def _rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(k) for k in f.read().split()]
    except OSError:
        pass
    return kids


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def _ns(pid, kind):
    try:
        return os.readlink(f"/proc/{pid}/ns/{kind}")
    except OSError:
        return None


def _pids_in(namespaces):
    """PIDs of the processes in any of the given (kind, "kind:[inode]")."""
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            if any(ns and _ns(d, kind) == ns for kind, ns in namespaces):
                found.append(int(d))
    return found


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


class ScratchDockerd:
    def __init__(self, tag):
        self.tag = tag
        self.netns = f"berth-bench-{tag}"
        self.cgroup = f"dockerd-bench-{tag}"
        self.base = None
        self.proc = None
        self.containerd = None
        self.namespaces = []
        # Descriptors that keep those namespaces alive until stop() is done:
        # a namespace's "mnt:[inode]" is only unique while it exists; once
        # freed its number is reused (by the next berth-monitor's mount
        # namespace, say) and _kill_leftovers would kill a stranger.
        self.ns_fds = []
        self.absent = [p for p in HIDDEN if not os.path.isdir(p)]
        self.notes = []

    @property
    def sock(self):
        return os.path.join(self.base, "docker.sock")

    @property
    def url(self):
        return "unix://" + self.sock

    def start(self):
        self.base = os.path.realpath(
            tempfile.mkdtemp(prefix=f"dockerd-bench-{self.tag}-", dir="/var/tmp"))
        os.chmod(self.base, 0o711)
        with open(os.path.join(self.base, "daemon.json"), "w") as f:
            f.write("{}\n")
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        self.ns_fds.append(os.open(f"/run/netns/{self.netns}", os.O_RDONLY | os.O_CLOEXEC))
        self.namespaces.append(("net", "net:[%d]" % os.fstat(self.ns_fds[-1]).st_ino))
        subprocess.run(["ip", "-n", self.netns, "link", "set", "lo", "up"], check=True)

        binds = []
        for host in HIDDEN:
            if host in self.absent:
                continue
            priv = os.path.join(self.base, "hidden", host.strip("/").replace("/", "-"))
            os.makedirs(priv)
            binds.append(f"mount --bind {shlex.quote(priv)} {shlex.quote(host)}")
        script = "set -e; " + "; ".join(binds) + '; exec "$@"'
        dockerd = [
            DOCKERD,
            "--config-file", os.path.join(self.base, "daemon.json"),
            "--data-root", os.path.join(self.base, "data"),
            "--exec-root", os.path.join(self.base, "exec"),
            "--pidfile", os.path.join(self.base, "dockerd.pid"),
            "-H", self.url,
            "--iptables=false", "--ip6tables=false", "--ip-forward=false",
            "--bridge=none",
            "--cgroup-parent", "/" + self.cgroup,
        ]
        self.log = open(os.path.join(self.base, "dockerd.log"), "wb")
        # nsenter, unshare and sh each exec the next: the PID ends up dockerd's.
        self.proc = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.netns}", "--",
             "unshare", "--mount", "--propagation", "private", "--",
             "sh", "-c", script, "sh"] + dockerd,
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()
        if os.path.basename(os.readlink(f"/proc/{self.proc.pid}/exe")) != "dockerd":
            raise RuntimeError("the process started is not dockerd")
        fd = os.open(f"/proc/{self.proc.pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        self.ns_fds.append(fd)
        if _ns(self.proc.pid, "mnt") != "mnt:[%d]" % os.fstat(fd).st_ino:
            raise RuntimeError("dockerd changed its mount namespace while we looked")
        self.namespaces.append(("mnt", "mnt:[%d]" % os.fstat(fd).st_ino))
        self._check_containerd()

    def _wait_ready(self):
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(5)
                s.connect(self.sock)
                s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                ok = s.recv(64).startswith(b"HTTP/1.0 200")
                s.close()
                if ok:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"dockerd did not answer on {self.sock}:\n{self.log_tail()}")

    def _check_containerd(self):
        """The containerd dockerd talks to must be its own managed child,
        configured under our exec-root, not a shared one."""
        config = os.path.join(self.base, "exec", "containerd", "containerd.toml")
        for kid in _children(self.proc.pid):
            argv = _cmdline(kid)
            if argv and os.path.basename(argv[0]) == "containerd" and config in argv:
                self.containerd = kid
                return
        raise RuntimeError("dockerd did not start its own containerd (with config "
                           f"{config}); not measuring:\n{self.log_tail()}")

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.base, "dockerd.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def rss(self):
        """(dockerd kB, containerd kB, number of containerd-shims)."""
        shims = [p for p in _pids_in(self.namespaces) if _comm(p).startswith("containerd-shim")]
        return _rss_kb(self.proc.pid), _rss_kb(self.containerd), len(shims)

    def stop(self):
        """Stop everything this started and remove every trace of it."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.notes.append("dockerd ignored SIGTERM for 30 s: killed")
                    self.proc.kill()
                    self.proc.wait()
            self.log.close()
        self._kill_leftovers()
        if self.base:
            self._unmount_under(self.base)
            shutil.rmtree(self.base, ignore_errors=True)
            if os.path.exists(self.base):
                self.notes.append(f"could not remove {self.base}")
        self._remove_cgroups()
        if os.path.exists(f"/run/netns/{self.netns}"):
            subprocess.run(["ip", "netns", "del", self.netns])
        for fd in self.ns_fds:  # only now may the namespaces (and their numbers) go
            os.close(fd)
        self.ns_fds = []
        for host in self.absent:
            if os.path.exists(host):
                self.notes.append(f"{host} did not exist before and does now (not hidden)")

    def _kill_leftovers(self):
        """SIGKILL whatever is left in dockerd's network or mount namespace:
        nothing else can be in them."""
        if not self.namespaces:
            return
        deadline = time.time() + 10
        while time.time() < deadline:
            left = _pids_in(self.namespaces)
            if not left:
                return
            for pid in left:
                try:
                    fd = os.pidfd_open(pid)
                except OSError:
                    continue
                try:  # still the same process: still in one of our namespaces
                    if any(ns and _ns(pid, kind) == ns for kind, ns in self.namespaces):
                        self.notes.append(f"killed leftover {_comm(pid)} ({pid})")
                        signal.pidfd_send_signal(fd, signal.SIGKILL)
                except OSError:
                    pass
                finally:
                    os.close(fd)
            time.sleep(0.2)
        self.notes.append(f"processes still in dockerd's namespaces: {_pids_in(self.namespaces)}")

    def _unmount_under(self, path):
        with open("/proc/self/mountinfo") as f:
            # (mountinfo writes a space as \040 and so on)
            points = [line.split()[4].encode().decode("unicode_escape") for line in f]
        for mp in sorted((p for p in points if p == path or p.startswith(path + "/")),
                         key=len, reverse=True):
            r = subprocess.run(["umount", "-l", mp], capture_output=True, text=True)
            self.notes.append(f"unmounted leftover {mp}" if r.returncode == 0 else
                              f"could not unmount {mp}: {r.stderr.strip()}")

    def _remove_cgroups(self):
        root = "/sys/fs/cgroup"
        # every v1 hierarchy and, on a hybrid host, "unified" among them
        for top in (os.path.join(root, h, self.cgroup) for h in os.listdir(root)):
            if not os.path.isdir(top):
                continue
            for d, _, _ in os.walk(top, topdown=False):
                try:
                    os.rmdir(d)
                except OSError as e:
                    self.notes.append(f"could not remove cgroup {d}: {e.strerror}")


@contextlib.contextmanager
def running():
    """A started ScratchDockerd, stopped and cleaned up (also on errors
    and on SIGTERM) when the block ends."""
    d = ScratchDockerd(secrets.token_hex(4))
    old_term = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        d.start()
        yield d
    finally:
        try:
            d.stop()
        finally:
            signal.signal(signal.SIGTERM, old_term)
        for note in d.notes:
            print(f"  dockerd cleanup: {note}", file=sys.stderr)


def unavailable():
    """Why no scratch dockerd can be started here, or None."""
    if not os.access(DOCKERD, os.X_OK):
        return f"{DOCKERD} is not installed (Debian package docker.io)"
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        return f"{', '.join(missing)} not found"
    if os.geteuid() != 0:
        return "it needs root (network and mount namespaces)"
    return None


def _skip(why):
    print(f"dockerd comparison skipped: {why}")


def compare(tar, args, measure, report, berthd_res=None, berthd_rss_kb=None, floor_ms=None):
    """Measure a scratch dockerd with api_bench's measure()/report() and print
    it against berthd's figures (berthd_res, berthd_rss_kb) when given."""
    why = unavailable()
    if why:
        return _skip(why)
    import docker

    with running() as d:
        client = docker.DockerClient(base_url=d.url, version=API[1:], timeout=300)
        ver = client.version()
        d_start, c_start, _ = d.rss()
        client.api.import_image_from_file(tar, repository="busybox", tag="latest")
        kwargs = {}
        if not client.networks.list(names=["bridge"]):
            kwargs["network_mode"] = "none"
        ctd = [c["Version"] for c in ver.get("Components", []) if c["Name"] == "containerd"]
        print(f"dockerd {ver['Version']} (API {ver['ApiVersion']}, containerd"
              f" {ctd[0] if ctd else '?'}), own netns {d.netns}, managed containerd pid {d.containerd},"
              f" containers with {'network_mode none' if kwargs else 'the default network'}")
        client.close()

        res = measure(d.url, None, args, "dockerd", create_kwargs=kwargs, api_version=API)
        time.sleep(1)
        d_idle, c_idle, shims = d.rss()
        report("dockerd", res, floor_ms)
        print(f"  dockerd RSS: {d_start} kB at start, {d_idle} kB idle after the runs; its"
              f" containerd: {c_start} kB, {c_idle} kB; total idle {d_idle + c_idle} kB"
              f" (+ one containerd-shim per running container: {shims} now)")
        if berthd_res is not None:
            _table(berthd_res, berthd_rss_kb, res, d_idle + c_idle, args.list, ver["Version"])


def _pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def _table(b, b_rss, d, d_rss, n, version):
    rows = [
        ("run latency p50 (ms)", _pct(b["lat"], 50), _pct(d["lat"], 50), "lower"),
        ("run latency p90 (ms)", _pct(b["lat"], 90), _pct(d["lat"], 90), "lower"),
        ("4 clients (containers/s)", b["rate"], d["rate"], "higher"),
        (f"list {n} containers p50 (ms)", _pct(b["list"], 50), _pct(d["list"], 50), "lower"),
    ]
    if b_rss is not None:
        rows.append(("idle RSS (kB; +server, +containerd)", b_rss, d_rss, "lower"))
    print(f"berthd vs dockerd {version}, same workloads:")
    print(f"  {'figure':<36} {'berthd':>10} {'dockerd':>10} {'berthd/dockerd':>15}")
    for name, bv, dv, better in rows:
        ratio = f"{bv / dv:.3f}x" if dv else "-"
        fmt = "{:>10.0f}" if bv >= 1000 or dv >= 1000 else "{:>10.2f}"
        print(f"  {name:<36} {fmt.format(bv)} {fmt.format(dv)} {ratio:>15}  ({better} is better)")
