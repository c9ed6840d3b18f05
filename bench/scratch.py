"""A scratch berth for a benchmark: a state root on disk (/var/tmp), a run
root on tmpfs where there is one, busybox imported, berthd on a socket of
its own; every container removed, berthd stopped by PID and both roots
deleted at the end."""
import contextlib
import os
import shutil
import signal
import subprocess
import socket
import tempfile
import time

from floor import BERTH, BUILD, SRC, tmpfs_or

BERTHD = os.path.join(BUILD, "berthd")


def wait_socket(path, proc, what):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited")
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            s.close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on {path}")


class Scratch:
    def __init__(self, prefix):
        self.base = tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")
        self.runbase = tempfile.mkdtemp(prefix=prefix, dir=tmpfs_or("/var/tmp"))
        self.root = os.path.join(self.base, "root")
        self.runroot = os.path.join(self.runbase, "run")
        self.sock = os.path.join(self.runbase, "berthd.sock")
        self.url = "unix://" + self.sock
        self.berth = [BERTH, "--root", self.root, "--runroot", self.runroot]
        self.tar = os.path.join(self.base, "busybox.tar")
        self.proc = None

    def import_busybox(self):
        subprocess.run([os.path.join(SRC, "tests", "make-busybox-rootfs.sh"), self.tar],
                       check=True)
        subprocess.run(self.berth + ["import", self.tar, "busybox"], check=True,
                       stdout=subprocess.DEVNULL)

    def start_berthd(self):
        self.proc = subprocess.Popen([BERTHD, "--root", self.root, "--runroot", self.runroot,
                                      "-H", self.url], stderr=subprocess.DEVNULL)
        wait_socket(self.sock, self.proc, "berthd")

    def close(self):
        ids = subprocess.run(self.berth + ["ps", "-aq"], capture_output=True,
                             text=True).stdout.split()
        if ids:
            subprocess.run(self.berth + ["rm", "-f"] + ids, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)
        shutil.rmtree(self.runbase, ignore_errors=True)


@contextlib.contextmanager
def scratch(prefix):
    """A Scratch with busybox imported and berthd listening."""
    s = Scratch(prefix)
    try:
        s.import_busybox()
        s.start_berthd()
        yield s
    finally:
        s.close()
