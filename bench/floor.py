"""The floor both benchmarks compare with: `crun run` (or runc) of the very
bundle berth generates for a container running `true` (its config.json,
and the image's layers as an overlayfs root mounted once, outside the
timing), through floor-exec, which applies the hybrid-cgroup workaround
berth-monitor applies, in one exec."""
import json
import os
import shutil
import subprocess
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BERTH_BUILD", os.path.join(SRC, "build"))
BERTH = os.path.join(BUILD, "berth")
FLOOR_EXEC = os.path.join(BUILD, "floor-exec")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def tmpfs_or(path):
    """/run when it is a tmpfs (as on a normal host), else the given path."""
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[1] == "/run" and parts[2] == "tmpfs":
                return "/run"
    return path


class Floor:
    def __init__(self, berth_argv, root, runroot, workdir, runtime="crun"):
        """berth_argv: the berth CLI with its --root/--runroot flags."""
        self.bundle = os.path.join(workdir, "floor")
        self.state = os.path.join(workdir, "floor-state")
        cid = subprocess.run(berth_argv + ["create", "busybox", "true"], check=True,
                             capture_output=True, text=True).stdout.strip()
        subprocess.run(berth_argv + ["start", "-a", cid], check=True)
        self.spec = json.load(open(os.path.join(runroot, "containers", cid, "config.json")))
        self.spec["root"]["path"] = "rootfs"
        insp = json.loads(subprocess.run(berth_argv + ["inspect", cid], check=True,
                                         capture_output=True, text=True).stdout)[0]
        # (the container stays: its config binds its /etc files)
        lower = insp["GraphDriver"]["Data"]["LowerDir"]
        for d in ("rootfs", "upper", "work"):
            os.makedirs(os.path.join(self.bundle, d))
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir={lower},upperdir={self.bundle}/upper,"
                        f"workdir={self.bundle}/work", os.path.join(self.bundle, "rootfs")],
                       check=True)
        self.mounted = True
        self.runtime = shutil.which(runtime)

    def run(self, i):
        """One `runtime run` of the bundle; returns milliseconds."""
        self.spec["linux"]["cgroupsPath"] = f"/berth-bench/floor{os.getpid()}-{i}"
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(self.spec, f)
        t = time.perf_counter()
        subprocess.run([FLOOR_EXEC, self.runtime, "--root", self.state, "run", "--bundle",
                        self.bundle, f"floor{os.getpid()}-{i}"], check=True)
        return (time.perf_counter() - t) * 1000

    def close(self):
        if self.mounted:
            subprocess.run(["umount", os.path.join(self.bundle, "rootfs")])
            self.mounted = False
