"""berth pause/unpause, checked by their effects: a paused container's
processes make no progress until it is unpaused, and stop/kill/rm -f of a
paused container end it with Docker's exit codes."""
import os
import re
import signal
import subprocess
import time

from conftest import _monitor_pids

# Appends a line to /cnt every 50 ms: the number of lines is its progress.
COUNTER = "while true; do echo x >> /cnt; sleep 0.05; done"


# ---- helpers ---------------------------------------------------------------

def wait_for(cond, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def upper_file(b, name, path):
    """A file the container wrote, read from its writable layer."""
    return os.path.join(b.inspect(name)["GraphDriver"]["Data"]["UpperDir"], path.lstrip("/"))


def count_lines(path):
    try:
        with open(path) as f:
            return f.read().count("\n")
    except FileNotFoundError:
        return 0


def state(b, name):
    return b.inspect(name)["State"]


# ---- pause / unpause ---------------------------------------------------------

def test_pause_freezes_the_processes_until_unpause(rt_berth):
    cid = rt_berth.out("run", "-d", "--name", "ctr", "busybox", "sh", "-c", COUNTER).strip()
    cnt = upper_file(rt_berth, cid, "/cnt")
    wait_for(lambda: count_lines(cnt) >= 3, what="the counter to run")

    assert rt_berth.out("pause", "ctr") == "ctr\n"
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["Paused"], st["Running"]) == ("paused", True, True)
    assert st["Pid"] > 0
    ps = rt_berth.out("ps")
    assert re.search(r"Up .* \(Paused\)", ps), ps
    assert rt_berth.out("ps", "-q", "--filter", "status=paused") == cid[:12] + "\n"

    # a line written just before the freeze may still be on its way
    time.sleep(0.2)
    first = count_lines(cnt)
    time.sleep(0.5)
    assert count_lines(cnt) == first, "a paused container made progress"

    assert rt_berth.out("unpause", "ctr") == "ctr\n"
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["Paused"], st["Running"]) == ("running", False, True)
    wait_for(lambda: count_lines(cnt) > first + 2, what="the counter to move on after unpause")


def test_pause_and_unpause_errors(rt_berth):
    rt_berth("create", "--name", "created", "busybox", "true")
    p = rt_berth("pause", "created", check=False)
    assert p.returncode == 1 and "is not running" in p.stderr
    cid = rt_berth.out("run", "-d", "--name", "ctr", "busybox", "sleep", "1000").strip()
    p = rt_berth("unpause", "ctr", check=False)
    assert p.returncode == 1 and f"Container {cid} is not paused" in p.stderr
    rt_berth("pause", "ctr")
    p = rt_berth("pause", "ctr", check=False)
    assert p.returncode == 1 and f"Container {cid} is already paused" in p.stderr
    p = rt_berth("start", "ctr", check=False)
    assert p.returncode == 1 and "cannot start a paused container, try unpause instead" in p.stderr
    p = rt_berth("rm", "ctr", check=False)
    assert p.returncode == 1 and "You cannot remove a paused container" in p.stderr
    p = rt_berth("pause", "nosuch", check=False)
    assert p.returncode == 1 and "No such container: nosuch" in p.stderr
    # the failed calls changed nothing
    assert state(rt_berth, "ctr")["Status"] == "paused"
    rt_berth("unpause", "ctr")
    rt_berth("kill", "ctr")
    p = rt_berth("pause", "ctr", check=False)
    assert p.returncode == 1 and "is not running" in p.stderr
    # several names: each is tried, the status says one failed
    rt_berth("run", "-d", "--name", "two", "busybox", "sleep", "1000")
    p = rt_berth("pause", "two", "nosuch", check=False)
    assert p.returncode == 1 and p.stdout == "two\n"
    assert state(rt_berth, "two")["Status"] == "paused"


def test_stop_of_a_paused_container_kills_it_after_the_timeout(rt_berth):
    # sleep as PID 1 ignores SIGTERM: stop resumes it, waits, then SIGKILLs
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    rt_berth("pause", "ctr")
    assert rt_berth.out("stop", "-t", "1", "ctr") == "ctr\n"
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["ExitCode"], st["Running"], st["Paused"]) == \
        ("exited", 137, False, False)


def test_stop_signal_reaches_a_paused_container(rt_berth):
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sh", "-c",
             "trap 'exit 143' TERM; touch /ready; while true; do sleep 0.1; done")
    ready = upper_file(rt_berth, "ctr", "/ready")
    wait_for(lambda: os.path.exists(ready), what="the trap to be set")
    rt_berth("pause", "ctr")
    # a long timeout: only the delivered SIGTERM can end it with 143
    rt_berth("stop", "-t", "60", "ctr")
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["ExitCode"]) == ("exited", 143)


def test_kill_of_a_paused_container_and_wait(rt_berth):
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    rt_berth("pause", "ctr")
    waiter = rt_berth.popen("wait", "ctr", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(0.5)
    assert waiter.poll() is None, "wait returned while the container was only paused"
    assert rt_berth.out("kill", "ctr") == "ctr\n"
    out, err = waiter.communicate(timeout=60)
    assert (out, waiter.returncode) == ("137\n", 0), err
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["ExitCode"]) == ("exited", 137)


def test_force_remove_of_a_paused_container(rt_berth):
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    rt_berth("pause", "ctr")
    assert rt_berth.out("rm", "-f", "ctr") == "ctr\n"
    assert rt_berth.out("ps", "-aq") == ""


def test_kill_with_another_signal_leaves_a_paused_container_paused(bb):
    # moby's killWithSignal resumes only for SIGKILL and the stop signal
    # (any signal when the container has none)
    bb("run", "-d", "--name", "ctr", "--stop-signal", "USR1", "busybox", "sh", "-c",
       "trap 'exit 42' USR1; trap 'echo hup' HUP; touch /ready; while true; do sleep 0.1; done")
    ready = upper_file(bb, "ctr", "/ready")
    wait_for(lambda: os.path.exists(ready), what="the traps to be set")
    bb("pause", "ctr")
    bb("kill", "-s", "HUP", "ctr")
    assert state(bb, "ctr")["Status"] == "paused"
    bb("kill", "-s", "USR1", "ctr")
    assert bb.out("wait", "ctr") == "42\n"
    assert state(bb, "ctr")["Status"] == "exited"


def test_a_paused_container_whose_monitor_was_killed_is_repaired(rt_berth):
    rt_berth("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    pid = state(rt_berth, "ctr")["Pid"]
    rt_berth("pause", "ctr")
    for mon in _monitor_pids(rt_berth.root):
        os.kill(mon, signal.SIGKILL)
    st = state(rt_berth, "ctr")
    assert (st["Status"], st["ExitCode"], st["Error"]) == \
        ("exited", 255, "berth-monitor exited unexpectedly")

    def ended():
        try:
            with open(f"/proc/{pid}/status") as f:
                return "\nState:\tZ" in f.read()
        except FileNotFoundError:
            return True
    wait_for(ended, what="the frozen process to be killed")


def test_restart_of_a_paused_container(bb):
    bb("run", "-d", "--name", "ctr", "busybox", "sleep", "1000")
    pid = state(bb, "ctr")["Pid"]
    bb("pause", "ctr")
    bb("restart", "-t", "1", "ctr")
    st = state(bb, "ctr")
    assert (st["Status"], st["Paused"]) == ("running", False)
    assert st["Pid"] != pid
