"""The unmodified docker CLI (28.x, which negotiates the API down to 1.44)
against berthd: each test checks what `docker` prints, where it prints it
(stdout or stderr) and its exit status, the way it does against Docker.

Every test gets a berthd of its own (the `daemon` fixture: private roots,
busybox imported); containers are force-removed at teardown and a monitor or
mount left behind fails the test.
"""
import os
import pty
import re
import select
import signal
import subprocess
import tarfile
import tempfile
import time

import pytest

from conftest import BERTHD, Daemon, _finish

HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX12 = re.compile(r"^[0-9a-f]{12}$")
AGO = r"(Less than a second|\d+ seconds?|About a minute|\d+ minutes?) ago"
RFC3339NANO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"
NOT_SWARM = ('This node is not a swarm manager. Use "docker swarm init" or '
             '"docker swarm join" to connect this node to swarm and try again.')


def columns(line):
    """A table line of docker's output, split at its column gaps."""
    return re.split(r"\s{2,}", line.strip())


def docker_env(daemon):
    return dict(os.environ, DOCKER_CONFIG=os.path.join(daemon.base, "dcfg"))


def docker_bytes(daemon, *args, input=None, timeout=120):
    """The docker CLI with binary stdin/stdout (import from a pipe)."""
    return subprocess.run(["docker", "-H", daemon.url, *map(str, args)], input=input,
                          capture_output=True, timeout=timeout, env=docker_env(daemon))


def fails(p, code=1):
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    return p.stderr


def wait_for(pred, timeout=10, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def empty_daemon():
    """A second berthd on roots of its own with no image at all."""
    d = Daemon(tempfile.mkdtemp(prefix="berthd-test-", dir="/tmp"))
    d.start()
    try:
        yield d
    finally:
        d.stop()
        _finish(d.berth)


# ---- run ---------------------------------------------------------------------


def test_run_rm_prints_the_output_and_leaves_nothing(daemon):
    p = daemon.docker("run", "--rm", "busybox", "echo", "hello", "world")
    assert (p.stdout, p.stderr) == ("hello world\n", "")
    assert daemon.docker("ps", "-aq").stdout == ""


def test_run_keeps_stdout_and_stderr_apart_and_exits_with_the_code(daemon):
    p = daemon.docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3",
                      check=False)
    assert (p.returncode, p.stdout, p.stderr) == (3, "out\n", "err\n")
    assert daemon.docker("ps", "-aq").stdout == ""


@pytest.mark.parametrize("cmd, code, text", [
    ("/etc/passwd", 126, 'exec: "/etc/passwd": permission denied'),
    ("nosuch", 127, 'exec: "nosuch": executable file not found in $PATH'),
])
def test_run_of_what_cannot_be_executed(daemon, cmd, code, text):
    err = fails(daemon.docker("run", "--rm", "busybox", cmd, check=False), code)
    assert err.startswith("docker: Error response from daemon: ")
    assert text in err
    assert "Run 'docker run --help' for more information" in err
    assert daemon.docker("ps", "-aq").stdout == ""


def test_run_i_passes_piped_stdin(daemon):
    p = daemon.docker("run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo done; wc -l",
                      input="line one\nline two\n")
    assert p.stdout == "line one\nline two\ndone\n0\n"  # cat read stdin up to its EOF
    p = daemon.docker("run", "--rm", "-i", "busybox", "wc", "-c", input="x" * 100000)
    assert p.stdout.strip() == "100000"


def test_run_d_prints_the_full_id(daemon):
    p = daemon.docker("run", "-d", "--name", "bg", "busybox", "sleep", "1000")
    assert p.stdout.endswith("\n") and HEX64.match(p.stdout.strip()) and p.stderr == ""
    cid = p.stdout.strip()
    assert daemon.docker("inspect", "-f", "{{.Id}} {{.State.Running}}", "bg").stdout == \
        f"{cid} true\n"


def test_run_of_a_missing_image_fails_with_125(daemon):
    p = daemon.docker("run", "--rm", "nosuch/image:1", "true", check=False)
    err = fails(p, 125)
    assert "Unable to find image 'nosuch/image:1' locally" in err
    assert "nosuch/image" in err.split("locally", 1)[1] and "pull access denied" in err
    assert daemon.docker("ps", "-aq").stdout == ""


def test_run_it_through_a_pseudo_terminal(daemon):
    pid, fd = pty.fork()
    if pid == 0:  # the child: docker on the terminal
        try:
            os.execvpe("docker", ["docker", "-H", daemon.url, "run", "--rm", "-it", "busybox",
                                  "sh"], docker_env(daemon))
        finally:
            os._exit(127)
    out = b""
    sent = False
    status = None
    deadline = time.time() + 30
    start = time.time()
    try:
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:  # EIO: the terminal's other side is gone
                    data = b""
                out += data
                if not data and status is None:
                    _, status = os.waitpid(pid, 0)
                    break
            # the shell's prompt, or (a terminal buffers) after a while anyway
            if not sent and (b"# " in out or time.time() - start > 5):
                os.write(fd, b"echo $((6*7)); exit\n")
                sent = True
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
                break
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert status is not None, f"docker run -it did not finish in 30 s; it printed {out!r}"
    assert re.search(rb"\r\n42\r\n", out), out
    assert os.waitstatus_to_exitcode(status) == 0, out
    assert daemon.docker("ps", "-aq").stdout == ""


# ---- ps ---------------------------------------------------------------------


def test_ps_table_formats_and_filters(daemon):
    up = daemon.docker("run", "-d", "--name", "up", "-l", "tier=web", "busybox", "sleep",
                       "1000").stdout.strip()
    daemon.docker("run", "--name", "two", "busybox", "sh", "-c", "exit 2", check=False)
    daemon.docker("create", "--name", "fresh", "busybox", "true")

    out = daemon.docker("ps", "-a").stdout.splitlines()
    assert columns(out[0]) == ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS",
                               "NAMES"]
    rows = {columns(line)[-1]: line for line in out[1:]}
    assert sorted(rows) == ["fresh", "two", "up"]
    # the newest first, as Docker lists them
    assert [columns(line)[-1] for line in out[1:]] == ["fresh", "two", "up"]
    for name, line in rows.items():
        # a table: every cell starts under its heading
        for heading in ("IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES"):
            assert line[out[0].index(heading)] != " ", (heading, line)
        assert line.rstrip().endswith(name) and line.index(name) == out[0].index("NAMES")
    cid, image, command, created, status, _ = columns(rows["up"])
    assert HEX12.match(cid) and up.startswith(cid)
    assert (image, command) == ("busybox", '"sleep 1000"')
    assert re.fullmatch(AGO, created), created
    assert re.fullmatch(r"Up (Less than a second|\d+ seconds?)", status), status
    assert re.fullmatch(r"Exited \(2\) " + AGO, columns(rows["two"])[4])
    assert columns(rows["fresh"])[4] == "Created"

    fmt = daemon.docker("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout.splitlines()
    assert fmt[0] == "fresh Created"
    assert re.fullmatch(r"two Exited \(2\) " + AGO, fmt[1])
    assert re.fullmatch(r"up Up (Less than a second|\d+ seconds?)", fmt[2])

    assert daemon.docker("ps", "-q").stdout == up[:12] + "\n"
    assert daemon.docker("ps", "-q", "--no-trunc").stdout == up + "\n"
    assert len(daemon.docker("ps", "-aq").stdout.split()) == 3

    def names(*filters):
        args = []
        for f in filters:
            args += ["--filter", f]
        return daemon.docker("ps", "-a", *args, "--format", "{{.Names}}").stdout.split()

    assert names("status=exited") == ["two"]
    assert names("status=created") == ["fresh"]
    assert names("status=running") == ["up"]
    assert names("exited=2") == ["two"]
    assert names("name=tw") == ["two"]
    assert names("label=tier=web") == ["up"]
    assert names("label=tier") == ["up"]
    assert names("id=" + up[:10]) == ["up"]
    assert names("ancestor=busybox") == ["fresh", "two", "up"]
    assert names("status=exited", "status=created") == ["fresh", "two"]
    assert names("before=fresh") == ["two", "up"]
    assert names("since=up") == ["fresh", "two"]
    assert names("name=nobody-has-it") == []
    err = fails(daemon.docker("ps", "--filter", "bogus=1", check=False))
    assert err.startswith("Error response from daemon: ") and "bogus" in err


def test_ps_command_quotes_arguments_with_spaces(daemon):
    daemon.docker("create", "--name", "spaced", "busybox", "sh", "-c", "exit 2")
    assert daemon.docker("ps", "-a", "--format", "{{.Command}}").stdout == \
        '"sh -c \'exit 2\'"\n'


# ---- logs --------------------------------------------------------------------


def test_logs_streams_tail_timestamps_and_since(daemon):
    script = ("echo out1; sleep 0.05; echo err1 >&2; sleep 0.05; echo out2; sleep 0.05; "
              "echo err2 >&2; sleep 1.2; echo late")
    daemon.docker("run", "--name", "lg", "busybox", "sh", "-c", script)
    p = daemon.docker("logs", "lg")
    assert (p.stdout, p.stderr) == ("out1\nout2\nlate\n", "err1\nerr2\n")

    p = daemon.docker("logs", "--tail", "2", "lg")
    assert (p.stdout, p.stderr) == ("late\n", "err2\n")
    p = daemon.docker("logs", "--tail", "0", "lg")
    assert (p.stdout, p.stderr) == ("", "")
    p = daemon.docker("logs", "--tail", "all", "lg")
    assert (p.stdout, p.stderr) == ("out1\nout2\nlate\n", "err1\nerr2\n")

    p = daemon.docker("logs", "-t", "lg")
    lines = p.stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["out1", "out2", "late"]
    for line in lines + p.stderr.splitlines():
        assert re.fullmatch(RFC3339NANO + r" \w+", line), line
    stamps = [line.split(" ", 1)[0] for line in lines]
    assert stamps == sorted(stamps)

    # --since between err2 and "late" (1.2 s apart): only "late"
    err2 = p.stderr.splitlines()[-1].split(" ", 1)[0]
    late = stamps[-1]

    def secs(ts):
        import datetime
        whole, frac = ts[:-1].split(".")
        t = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(
            tzinfo=datetime.timezone.utc)
        return int(t.timestamp()), int(frac)

    (s1, n1), (s2, n2) = secs(err2), secs(late)
    mid_ns = (s1 * 10**9 + n1 + s2 * 10**9 + n2) // 2
    mid = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(mid_ns // 10**9)) + \
        ".%09dZ" % (mid_ns % 10**9)
    p = daemon.docker("logs", "--since", mid, "lg")
    assert (p.stdout, p.stderr) == ("late\n", "")
    p = daemon.docker("logs", "--since", "10m", "lg")
    assert (p.stdout, p.stderr) == ("out1\nout2\nlate\n", "err1\nerr2\n")
    p = daemon.docker("logs", "--since", "2099-01-01T00:00:00Z", "lg")
    assert (p.stdout, p.stderr) == ("", "")
    err = fails(daemon.docker("logs", "nosuch", check=False))
    assert err == "Error response from daemon: No such container: nosuch\n"


def test_logs_f_prints_as_it_comes_and_ends_when_the_container_exits(daemon):
    daemon.docker("run", "-d", "--name", "fl", "busybox", "sh", "-c",
                  'trap "echo second; exit 0" USR1; echo first; '
                  'while :; do sleep 0.1; done')
    p = subprocess.Popen(["docker", "-H", daemon.url, "logs", "-f", "fl"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=docker_env(daemon))
    try:
        r, _, _ = select.select([p.stdout], [], [], 20)
        assert r, "docker logs -f printed nothing in 20 s"
        assert p.stdout.readline() == b"first\n"
        assert p.poll() is None  # still following
        daemon.docker("kill", "-s", "USR1", "fl")
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert (p.returncode, out, err) == (0, b"second\n", b"")
    # on an exited container -f prints everything and ends at once
    p = daemon.docker("logs", "-f", "fl", timeout=20)
    assert p.stdout == "first\nsecond\n"


# ---- inspect -----------------------------------------------------------------


def test_inspect_format_and_type(daemon):
    daemon.docker("run", "--name", "ex", "busybox", "sh", "-c", "exit 7", check=False)
    assert daemon.docker("inspect", "-f", "{{.State.ExitCode}}", "ex").stdout == "7\n"
    assert daemon.docker("inspect", "--type", "container", "-f",
                         "{{.Name}} {{.State.Status}} {{.HostConfig.LogConfig.Type}}",
                         "ex").stdout == "/ex exited json-file\n"
    img = daemon.docker("inspect", "--type", "image", "-f", "{{.Id}}", "busybox").stdout.strip()
    assert img.startswith("sha256:") and HEX64.match(img[7:])
    # without --type, the container is found first, then images
    assert daemon.docker("inspect", "-f", "{{.Id}}", "busybox").stdout.strip() == img
    # a container name is no image
    p = daemon.docker("inspect", "--type", "image", "ex", check=False)
    err = fails(p)
    assert p.stdout == "[]\n" and "No such image: ex" in err
    p = daemon.docker("inspect", "--type", "container", "busybox", check=False)
    assert "No such container: busybox" in fails(p)
    p = daemon.docker("inspect", "--type", "container", "-f", "{{.Name}}", "ex", "nosuch",
                      check=False)
    assert p.stdout == "/ex\n" and "No such container: nosuch" in fails(p)


def test_inspect_of_an_unknown_name_says_no_such_object(daemon):
    p = daemon.docker("inspect", "nosuch", check=False)
    err = fails(p)
    assert p.stdout == "[]\n"
    assert err == "Error: No such object: nosuch\n"


# ---- stop, kill, wait, rm, rename, restart -------------------------------------


def traps_set(daemon, name, starts=1):
    """As PID 1 a shell ignores a signal that comes before its trap: wait
    for the script's "ready" of its starts-th run."""
    wait_for(lambda: daemon.docker("logs", name).stdout.count("ready") >= starts, timeout=30,
             what=f"{name} to set its traps")


def test_stop_with_t_records_the_exit_code(daemon):
    daemon.docker("run", "-d", "--name", "deaf", "busybox", "sleep", "1000")
    daemon.docker("run", "-d", "--name", "polite", "busybox", "sh", "-c",
                  'trap "exit 5" TERM; echo ready; while :; do sleep 0.1; done')
    traps_set(daemon, "polite")
    t = time.time()
    p = daemon.docker("stop", "-t", "1", "deaf", timeout=30)
    assert p.stdout == "deaf\n"
    # bounded, not timed: -t 1 must not wait out the default 10 s
    assert time.time() - t < 8
    # PID 1 ignores SIGTERM: killed after the timeout
    assert daemon.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                         "deaf").stdout == "exited 137\n"
    assert daemon.docker("stop", "-t", "10", "polite", timeout=30).stdout == "polite\n"
    assert daemon.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                         "polite").stdout == "exited 5\n"
    # stopping a stopped container is no error
    assert daemon.docker("stop", "polite").stdout == "polite\n"
    ps = daemon.docker("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout.splitlines()
    assert re.fullmatch(r"polite Exited \(5\) " + AGO, ps[0])
    assert re.fullmatch(r"deaf Exited \(137\) " + AGO, ps[1])
    err = fails(daemon.docker("stop", "nosuch", check=False))
    assert err == "Error response from daemon: No such container: nosuch\n"


def test_kill_with_a_signal_and_wait_prints_the_code(daemon):
    daemon.docker("run", "-d", "--name", "trap", "busybox", "sh", "-c",
                  'trap "exit 42" USR1; trap "exit 43" USR2; echo ready; while :; do sleep 0.1; done')
    traps_set(daemon, "trap", 1)
    assert daemon.docker("kill", "-s", "USR1", "trap").stdout == "trap\n"
    assert daemon.docker("wait", "trap", timeout=30).stdout == "42\n"
    daemon.docker("start", "trap")
    traps_set(daemon, "trap", 2)
    assert daemon.docker("kill", "-s", "SIGUSR2", "trap").stdout == "trap\n"
    assert daemon.docker("wait", "trap", timeout=30).stdout == "43\n"
    daemon.docker("start", "trap")
    traps_set(daemon, "trap", 3)
    assert daemon.docker("kill", "-s", "10", "trap").stdout == "trap\n"  # SIGUSR1
    assert daemon.docker("wait", "trap", timeout=30).stdout == "42\n"
    daemon.docker("start", "trap")
    assert daemon.docker("kill", "trap").stdout == "trap\n"  # SIGKILL by default
    assert daemon.docker("wait", "trap", timeout=30).stdout == "137\n"
    # wait on an exited container answers at once, and waits on several
    daemon.docker("run", "--name", "three", "busybox", "sh", "-c", "exit 3", check=False)
    assert daemon.docker("wait", "trap", "three", timeout=30).stdout == "137\n3\n"
    err = fails(daemon.docker("kill", "trap", check=False))
    assert err.startswith("Error response from daemon: ") and "is not running" in err
    err = fails(daemon.docker("kill", "-s", "NOPE", "trap", check=False))
    assert "NOPE" in err


def test_rm_f_removes_a_running_container(daemon):
    cid = daemon.docker("run", "-d", "--name", "busy", "busybox", "sleep", "1000").stdout.strip()
    err = fails(daemon.docker("rm", "busy", check=False))
    assert err.startswith("Error response from daemon: ") and \
        "cannot remove a running container" in err.lower()
    assert daemon.docker("rm", "-f", "busy").stdout == "busy\n"
    assert daemon.docker("ps", "-aq").stdout == ""
    err = fails(daemon.docker("rm", cid, check=False))
    assert err == f"Error response from daemon: No such container: {cid}\n"
    # by ID prefix too
    cid = daemon.docker("run", "-d", "busybox", "sleep", "1000").stdout.strip()
    assert daemon.docker("rm", "-f", cid[:8]).stdout == cid[:8] + "\n"
    assert daemon.docker("ps", "-aq").stdout == ""


def test_rename(daemon):
    daemon.docker("run", "-d", "--name", "old", "busybox", "sleep", "1000")
    daemon.docker("create", "--name", "taken", "busybox", "true")
    assert daemon.docker("rename", "old", "new").stdout == ""
    names = daemon.docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert sorted(names) == ["new", "taken"]
    assert daemon.docker("inspect", "-f", "{{.Name}} {{.State.Running}}",
                         "new").stdout == "/new true\n"
    err = fails(daemon.docker("rename", "new", "taken", check=False))
    assert err.startswith('Error response from daemon: Conflict. The container name "/taken" '
                          "is already in use")
    err = fails(daemon.docker("rename", "nosuch", "other", check=False))
    assert err.startswith("Error response from daemon: No such container: nosuch\n")
    assert "old" not in daemon.docker("ps", "-a", "--format", "{{.Names}}").stdout.split()


def test_restart(daemon):
    daemon.docker("run", "-d", "--name", "rs", "busybox", "sleep", "1000")
    before = daemon.docker("inspect", "-f", "{{.State.Pid}} {{.State.StartedAt}}",
                           "rs").stdout.split()
    assert daemon.docker("restart", "-t", "1", "rs", timeout=30).stdout == "rs\n"
    after = daemon.docker("inspect", "-f", "{{.State.Pid}} {{.State.StartedAt}} "
                          "{{.State.Running}}", "rs").stdout.split()
    assert after[2] == "true"
    assert after[0] != before[0] and after[1] > before[1]
    # an exited container is started again
    daemon.docker("run", "--name", "once", "busybox", "echo", "run")
    assert daemon.docker("restart", "once").stdout == "once\n"
    assert daemon.docker("wait", "once", timeout=30).stdout == "0\n"
    assert daemon.docker("logs", "once").stdout == "run\nrun\n"


# ---- pause -------------------------------------------------------------------


def test_pause_and_unpause(daemon):
    daemon.docker("run", "-d", "--name", "ticker", "busybox", "sh", "-c",
                  "while :; do date +%s%N; sleep 0.05; done")
    assert daemon.docker("pause", "ticker").stdout == "ticker\n"
    assert re.fullmatch(r"ticker Up (Less than a second|\d+ seconds?) \(Paused\)\n",
                        daemon.docker("ps", "--format", "{{.Names}} {{.Status}}").stdout)
    assert daemon.docker("inspect", "-f", "{{.State.Status}} {{.State.Paused}}",
                         "ticker").stdout == "paused true\n"
    n = len(daemon.docker("logs", "ticker").stdout.splitlines())
    time.sleep(0.4)
    assert len(daemon.docker("logs", "ticker").stdout.splitlines()) == n  # frozen
    err = fails(daemon.docker("pause", "ticker", check=False))
    assert err.startswith("Error response from daemon: ") and "already paused" in err
    assert daemon.docker("unpause", "ticker").stdout == "ticker\n"
    assert daemon.docker("inspect", "-f", "{{.State.Status}}", "ticker").stdout == "running\n"
    wait_for(lambda: len(daemon.docker("logs", "ticker").stdout.splitlines()) > n,
             what="output after unpause")
    err = fails(daemon.docker("unpause", "ticker", check=False))
    assert err.startswith("Error response from daemon: ") and "not paused" in err
    # a paused container can be removed by force
    daemon.docker("pause", "ticker")
    assert daemon.docker("rm", "-f", "ticker", timeout=30).stdout == "ticker\n"


# ---- images ------------------------------------------------------------------


def test_images_table(daemon):
    out = daemon.docker("images").stdout.splitlines()
    assert columns(out[0]) == ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
    assert len(out) == 2
    repo, tag, iid, created, size = columns(out[1])
    assert (repo, tag) == ("busybox", "latest")
    full = daemon.docker("inspect", "-f", "{{.Id}}", "busybox").stdout.strip()
    assert HEX12.match(iid) and full == "sha256:" + full[7:] and full[7:].startswith(iid)
    assert re.fullmatch(AGO, created) or re.fullmatch(r"\d+ (hours?|days?) ago", created)
    assert re.fullmatch(r"\d+(\.\d+)?(B|kB|MB)", size)
    assert daemon.docker("images", "-q").stdout == iid + "\n"
    assert daemon.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout == \
        "busybox:latest\n"


def test_tag_and_rmi(daemon):
    iid = daemon.docker("inspect", "-f", "{{.Id}}", "busybox").stdout.strip()
    p = daemon.docker("tag", "busybox", "my/bb:v1")
    assert (p.stdout, p.stderr) == ("", "")
    tags = daemon.docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout
    assert sorted(tags.splitlines()) == [f"busybox:latest {iid[7:19]}", f"my/bb:v1 {iid[7:19]}"]
    assert daemon.docker("run", "--rm", "my/bb:v1", "echo", "tagged").stdout == "tagged\n"
    assert daemon.docker("rmi", "my/bb:v1").stdout == "Untagged: my/bb:v1\n"
    err = fails(daemon.docker("rmi", "my/bb:v1", check=False))
    assert err.startswith("Error response from daemon: No such image: my/bb:v1")
    # an image a container uses needs -f
    cid = daemon.docker("create", "busybox", "true").stdout.strip()
    err = fails(daemon.docker("rmi", "busybox", check=False))
    assert err.startswith("Error response from daemon: conflict: unable to remove repository "
                          'reference "busybox" (must force) - container ' + cid[:12])
    daemon.docker("rm", cid)
    out = daemon.docker("rmi", "busybox").stdout.splitlines()
    assert out[0] == "Untagged: busybox:latest" and out[1] == f"Deleted: {iid}"
    assert all(line.startswith("Deleted: sha256:") for line in out[1:])
    assert daemon.docker("images", "-q").stdout == ""


def test_load_an_archive_made_by_berth_save(daemon, tmp_path):
    archive = tmp_path / "bb.tar"
    daemon.berth("save", "-o", archive, "busybox")
    iid = daemon.docker("inspect", "-f", "{{.Id}}", "busybox").stdout.strip()
    daemon.docker("rmi", "busybox")
    p = daemon.docker("load", "-i", archive)
    assert (p.stdout, p.stderr) == ("Loaded image: busybox:latest\n", "")
    assert daemon.docker("inspect", "-f", "{{.Id}}", "busybox").stdout.strip() == iid
    assert daemon.docker("run", "--rm", "busybox", "echo", "loaded").stdout == "loaded\n"
    # loading what is there already says the same
    assert daemon.docker("load", "-q", "-i", archive).stdout == "Loaded image: busybox:latest\n"
    # garbage is refused
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is no tar archive\n" * 100)
    p = daemon.docker("load", "-i", junk, check=False)
    assert p.returncode == 1 and p.stderr.strip() != ""


def test_save_o_then_load_into_a_fresh_daemon(daemon, empty_daemon, tmp_path):
    archive = tmp_path / "saved.tar"
    p = daemon.docker("save", "-o", archive, "busybox")
    assert (p.stdout, p.stderr) == ("", "")
    with tarfile.open(archive) as t:
        assert "manifest.json" in t.getnames()
    iid = daemon.docker("inspect", "-f", "{{.Id}}", "busybox").stdout.strip()
    assert empty_daemon.docker("images", "-q").stdout == ""
    p = empty_daemon.docker("load", "-i", archive)
    assert p.stdout == "Loaded image: busybox:latest\n"
    assert empty_daemon.docker("inspect", "-f", "{{.Id}}", "busybox").stdout.strip() == iid
    assert empty_daemon.docker("run", "--rm", "busybox", "echo", "moved").stdout == "moved\n"
    err = fails(daemon.docker("save", "-o", tmp_path / "none.tar", "nosuch", check=False))
    assert "No such image: nosuch" in err


def test_import_with_changes_and_message_then_run(daemon, rootfs_tar):
    p = daemon.docker("import", "-c", "ENV FOO=bar", "-c", 'CMD ["sh", "-c", "echo $FOO in $PWD"]',
                      "-c", "WORKDIR /tmp", "-c", "LABEL made=by-import", "-m", "made in a test",
                      rootfs_tar, "imp:1")
    assert p.stdout.startswith("sha256:") and HEX64.match(p.stdout.strip()[7:]) and \
        p.stdout.endswith("\n")
    iid = p.stdout.strip()
    assert daemon.docker("inspect", "-f", "{{.Id}}", "imp:1").stdout.strip() == iid
    assert daemon.docker("run", "--rm", "imp:1").stdout == "bar in /tmp\n"
    assert daemon.docker("image", "inspect", "-f",
                         "{{.Comment}}|{{.Config.WorkingDir}}|{{index .Config.Labels \"made\"}}",
                         "imp:1").stdout == "made in a test|/tmp|by-import\n"
    # from stdin
    with open(rootfs_tar, "rb") as f:
        p = docker_bytes(daemon, "import", "-", "imp:2", input=f.read())
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(b"sha256:")
    assert docker_bytes(daemon, "run", "--rm", "imp:2", "echo", "ok").stdout == b"ok\n"
    err = fails(daemon.docker("import", "-c", "BOGUS x", rootfs_tar, "imp:3", check=False))
    assert "BOGUS" in err.upper()


def test_pull_of_a_missing_image_fails_clearly(daemon):
    p = daemon.docker("pull", "nosuch/image:1", check=False, timeout=30)
    err = fails(p)
    assert "pull access denied for" in err and "nosuch/image" in err


def test_pull_of_a_missing_image_prints_only_the_error(daemon):
    # The error comes in the pull's JSON stream (as issue 3 asks), not as
    # an HTTP status as dockerd sends when it fails before any output, so
    # the CLI prints it without "Error response from daemon: ".
    p = daemon.docker("pull", "nosuch/image:1", check=False, timeout=30)
    err = fails(p)
    assert p.stdout == ""
    assert err.startswith("pull access denied for nosuch/image:1: berth cannot pull")
    p = daemon.docker("pull", "busybox:1.36", check=False, timeout=30)
    assert fails(p).startswith("pull access denied for busybox:1.36: ")


# ---- system ------------------------------------------------------------------


def test_info(daemon):
    daemon.docker("run", "-d", "busybox", "sleep", "1000")
    daemon.docker("run", "busybox", "true")
    daemon.docker("create", "busybox", "true")
    out = daemon.docker("info").stdout
    assert "Server:\n Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 1\n" \
        in out
    version = subprocess.run([BERTHD, "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[2].rstrip(",")
    assert f"\n Server Version: {version}\n" in out
    assert "\n Storage Driver: overlay2\n" in out
    # the CLI prints a map: in any order
    runtimes = re.search(r"\n Runtimes: (.*)\n", out).group(1).split()
    assert {"crun", "runc"} <= set(runtimes)
    assert "\n Default Runtime: crun\n" in out
    fstype = subprocess.run(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], capture_output=True,
                            text=True).stdout.strip()
    assert f"\n Cgroup Version: {'2' if fstype == 'cgroup2fs' else '1'}\n" in out
    assert "\n Swarm: inactive\n" in out
    assert daemon.docker("info", "--format",
                         "{{.ContainersRunning}} {{.ContainersStopped}} {{.DefaultRuntime}} "
                         "{{.Driver}}").stdout == "1 2 crun overlay2\n"


def test_version(daemon):
    p = daemon.docker("version")
    assert re.search(r"\nServer: ", p.stdout)
    server = p.stdout.split("\nServer:", 1)[1]
    client = p.stdout.split("\nServer:", 1)[0]
    assert re.search(r"\n  API version:\s+1\.44 \(minimum version 1\.24\)\n", server)
    assert re.search(r"\n API version:\s+1\.44 \(downgraded from 1\.\d+\)\n", client)
    assert daemon.docker("version", "--format",
                         "{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}"
                         ).stdout == "1.44 1.24 linux\n"


def test_swarm_is_inactive_and_swarm_commands_fail_cleanly(daemon):
    assert daemon.docker("system", "info", "--format",
                         "{{.Swarm.LocalNodeState}}").stdout == "inactive\n"
    for cmd in (["service", "ls"], ["node", "ls"]):
        p = daemon.docker(*cmd, check=False, timeout=30)
        assert (p.returncode, p.stdout) == (1, "")
        assert p.stderr == f"Error response from daemon: {NOT_SWARM}\n"
