"""berth images, import, load, save, tag, rmi and image inspect, checked the
way a docker user would check them: the text and exit codes the verbs give,
the archives they write, the files left in the state root, and containers
run from the images.

Archives that berth did not write come from the real tools: umoci builds an
OCI image from the busybox rootfs and skopeo copies it to docker-archive:
and oci-archive:, so `load` is tested against what other tools produce and
`save` is checked by skopeo reading it back.
"""
import gzip
import hashlib
import io
import json
import lzma
import os
import platform
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from datetime import datetime, timezone

import pytest

from conftest import Berth

ID_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
SHORT_RE = re.compile(r"^[0-9a-f]{12}$")
FRESH_RE = re.compile(r"^(Less than a second|1 second|\d+ seconds|About a minute) ago$")
HEADER = ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
SKOPEO = "/usr/bin/skopeo"
UMOCI = "/usr/bin/umoci"
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
          "s390x": "s390x", "riscv64": "riscv64"}.get(platform.machine(), platform.machine())


# ---- helpers ---------------------------------------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def human_size(n):
    """go-units HumanSizeWithPrecision(n, 3), as `docker images` prints SIZE."""
    units = ["B", "kB", "MB", "GB", "TB"]
    i = 0
    n = float(n)
    while n >= 1000 and i + 1 < len(units):
        n /= 1000
        i += 1
    return "%.3g%s" % (n, units[i])


def parse_table(out):
    """Rows of a docker-style table as lists of cells. Asserts the header,
    that every column starts at the same offset on every line and that
    columns are at least 3 spaces apart (Go's tabwriter, padding 3)."""
    lines = out.splitlines()
    assert lines, "no output at all"
    header = re.split(r" {3,}", lines[0].rstrip())
    assert header == HEADER, lines[0]
    starts = [lines[0].index(h) for h in HEADER]
    rows = []
    for line in lines[1:]:
        cells = re.split(r" {3,}", line.rstrip())
        assert len(cells) == 5, f"not 5 columns: {line!r}"
        for col, (start, cell) in enumerate(zip(starts, cells)):
            assert line[start:start + len(cell)] == cell, f"column {col} misaligned: {line!r}"
            if col:
                assert line[start - 3:start] == "   ", f"columns too close: {line!r}"
        rows.append(cells)
    return rows


def store_files(b):
    """What the state root holds: unpacked layers, blobs, scratch space."""
    out = {}
    for d in ("layers", "blobs/sha256", "tmp"):
        p = os.path.join(b.root, d)
        out[d] = sorted(os.listdir(p)) if os.path.isdir(p) else []
    return out


def assert_store_empty(b):
    assert b.out("images", "-aq") == ""
    assert store_files(b) == {"layers": [], "blobs/sha256": [], "tmp": []}


def run_stdin_file(b, path, *args):
    """berth ARGS < path (stdin is the file itself, not a pipe)."""
    with open(path, "rb") as f:
        return subprocess.run(b.argv(*args), stdin=f, capture_output=True, text=True,
                              timeout=120)


def archive_members(path):
    with tarfile.open(path) as t:
        return {m.name.rstrip("/"): m for m in t.getmembers()}


def archive_json(path, name):
    with tarfile.open(path) as t:
        return json.load(t.extractfile(name))


def skopeo(tmp, *args, check=True):
    """Runs skopeo without touching the host: as root it keeps a blob-info
    cache in /var/lib/containers/cache, so it runs in a private mount
    namespace with a throwaway tmpfs on /var/lib, and TMPDIR under /tmp."""
    script = 'mount -t tmpfs -o size=64m,mode=0755 berth-test /var/lib && exec "$@"'
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                        "sh", SKOPEO, "--insecure-policy", *args],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, TMPDIR=str(tmp)))
    if check and p.returncode != 0:
        raise AssertionError(f"skopeo {' '.join(args)} failed: {p.stderr}")
    return p


def umoci(tmp, *args):
    subprocess.run([UMOCI, *args], check=True, capture_output=True, timeout=120,
                   env=dict(os.environ, TMPDIR=str(tmp)))


@pytest.fixture
def fresh():
    """A second berth with its own empty root, cleaned up like conftest's."""
    b = Berth(tempfile.mkdtemp(prefix="berth-test-", dir="/tmp"))
    yield b
    leftovers, mounts = b.cleanup()
    shutil.rmtree(b.base, ignore_errors=True)
    assert not leftovers, f"berth-monitor processes left behind: {leftovers}"
    assert not mounts, f"mounts left behind: {mounts}"


@pytest.fixture(scope="module")
def foreign(rootfs_tar, tmp_path_factory):
    """Archives made by umoci + skopeo from the busybox rootfs.

    The OCI layout holds two images: "src" (Cmd echo from-umoci, Env FOO=bar,
    label made=umoci) and "old", the same created 2020-01-01."""
    d = tmp_path_factory.mktemp("foreign")
    tmp = d / "tmp"
    tmp.mkdir()
    layout = str(d / "oci")
    umoci(tmp, "init", "--layout", layout)
    umoci(tmp, "new", "--image", layout + ":src")
    umoci(tmp, "raw", "add-layer", "--image", layout + ":src", rootfs_tar)
    umoci(tmp, "config", "--image", layout + ":src", "--config.cmd", "echo",
          "--config.cmd", "from-umoci", "--config.env", "FOO=bar", "--config.label", "made=umoci")
    umoci(tmp, "config", "--image", layout + ":src", "--tag", "old",
          "--created", "2020-01-01T00:00:00Z", "--history.created", "2020-01-01T00:00:00Z")

    def config_digest(tag):
        with open(os.path.join(layout, "index.json")) as f:
            index = json.load(f)
        for m in index["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
                with open(os.path.join(layout, "blobs", "sha256", m["digest"][7:])) as f:
                    return json.load(f)["config"]["digest"]
        raise AssertionError(f"no {tag} in the umoci layout")

    out = {
        "src_id": config_digest("src"),
        "old_id": config_digest("old"),
        "docker": str(d / "docker-archive.tar"),
        "oci": str(d / "oci-archive.tar"),
        "docker_untagged": str(d / "docker-archive-untagged.tar"),
        "old": str(d / "old.tar"),
    }
    skopeo(tmp, "copy", "-q", f"oci:{layout}:src", f"docker-archive:{out['docker']}:umoci/busybox:da")
    skopeo(tmp, "copy", "-q", f"oci:{layout}:src", f"oci-archive:{out['oci']}:umoci/busybox:oa")
    skopeo(tmp, "copy", "-q", f"oci:{layout}:src", f"docker-archive:{out['docker_untagged']}")
    skopeo(tmp, "copy", "-q", f"oci:{layout}:old", f"docker-archive:{out['old']}:old/img:1")
    out["tmp"] = tmp
    return out


# ---- import ------------------------------------------------------------------

def test_import_prints_the_id_that_inspect_reports(berth, rootfs_tar):
    p = berth("import", rootfs_tar, "imp/app:1.0")
    assert p.stderr == ""
    image_id = p.stdout.strip()
    assert p.stdout == image_id + "\n" and ID_RE.match(image_id), p.stdout
    doc = berth.inspect("imp/app:1.0")
    assert doc["Id"] == image_id
    assert doc["RepoTags"] == ["imp/app:1.0"]
    # one layer whose diff_id is the digest of the tarball as given
    assert doc["RootFS"] == {"Type": "layers", "Layers": [sha256_file(rootfs_tar)]}
    assert doc["Comment"] == "Imported from -"
    assert (doc["Os"], doc["Architecture"]) == ("linux", GOARCH)
    assert berth.out("run", "--rm", "imp/app:1.0", "echo", "ok") == "ok\n"


def test_import_names(berth, rootfs_tar):
    berth("import", rootfs_tar, "plainrepo")
    assert berth.inspect("plainrepo")["RepoTags"] == ["plainrepo:latest"]
    berth("import", rootfs_tar, "localhost:5000/team/app:v2")
    assert berth.inspect("localhost:5000/team/app:v2")["RepoTags"] == ["localhost:5000/team/app:v2"]
    untagged = berth.out("import", rootfs_tar).strip()
    assert ID_RE.match(untagged)
    assert berth.inspect(untagged)["RepoTags"] == []
    rows = {tuple(r[:3]) for r in parse_table(berth.out("images"))}
    assert rows == {("plainrepo", "latest", berth.inspect("plainrepo")["Id"][7:19]),
                    ("localhost:5000/team/app", "v2",
                     berth.inspect("localhost:5000/team/app:v2")["Id"][7:19]),
                    ("<none>", "<none>", untagged[7:19])}


@pytest.mark.parametrize("compression", ["none", "gzip", "xz"])
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_import_plain_and_compressed_from_file_and_stdin(berth, rootfs_tar, tmp_path,
                                                         compression, source):
    with open(rootfs_tar, "rb") as f:
        raw = f.read()
    data = {"none": raw, "gzip": gzip.compress(raw, 1), "xz": lzma.compress(raw, preset=0)}[compression]
    path = tmp_path / "rootfs.tar.x"
    path.write_bytes(data)
    if source == "file":
        p = berth("import", str(path), "comp:" + compression)
    else:
        p = berth("import", "-", "comp:" + compression, input=data, binary=True)
        p.stdout = p.stdout.decode()
    image_id = p.stdout.strip()
    assert ID_RE.match(image_id)
    doc = berth.inspect("comp:" + compression)
    assert doc["Id"] == image_id
    # the layer is the uncompressed tar, whatever the wrapping
    assert doc["RootFS"]["Layers"] == ["sha256:" + hashlib.sha256(raw).hexdigest()]
    assert berth.out("run", "--rm", "comp:" + compression, "cat", "/etc/group") \
        .startswith("root:x:0:\n")


def test_import_changes_are_in_the_config(berth, rootfs_tar):
    berth("import",
          "-c", 'ENV A=1 B="two words"',
          "-c", "ENV C=${A}x",
          "-c", 'CMD ["echo", "hi"]',
          "-c", "ENTRYPOINT /bin/echo",
          "-c", "WORKDIR /srv",
          "-c", "WORKDIR sub",
          "-c", "USER tester",
          "-c", 'LABEL a=b "c d"=e',
          "-c", "EXPOSE 80 53/udp",
          "-c", "VOLUME /data",
          "-c", "STOPSIGNAL SIGUSR1",
          rootfs_tar, "cfg:1")
    c = berth.inspect("cfg:1")["Config"]
    assert c["Env"] == ["A=1", "B=two words", "C=1x"]
    assert c["Cmd"] == ["echo", "hi"]
    assert c["Entrypoint"] == ["/bin/sh", "-c", "/bin/echo"]
    assert c["WorkingDir"] == "/srv/sub"
    assert c["User"] == "tester"
    assert c["Labels"] == {"a": "b", "c d": "e"}
    assert c["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert c["Volumes"] == {"/data": {}}
    assert c["StopSignal"] == "SIGUSR1"
    # the same through a template, as scripts read it
    assert berth.out("inspect", "-f", "{{json .Config.Cmd}}", "cfg:1") == '["echo","hi"]\n'
    # an image without changes has Docker's empty values
    berth("import", rootfs_tar, "plain")
    c = berth.inspect("plain")["Config"]
    assert (c["Env"], c["Cmd"], c["Entrypoint"], c["WorkingDir"], c["User"], c["Labels"]) == \
        (None, None, None, "", "", None)


def test_import_changes_take_effect_in_containers(berth, rootfs_tar):
    berth("import", "-c", 'ENV A=1 B="two words"', "-c", "ENV C=${A}x", "-c", "WORKDIR /srv",
          "-c", "WORKDIR sub", "-c", "USER tester",
          "-c", 'CMD ["sh", "-c", "echo A=$A B=$B C=$C; pwd; id -un; echo $HOME"]',
          rootfs_tar, "eff:cmd")
    assert berth.out("run", "--rm", "eff:cmd") == \
        "A=1 B=two words C=1x\n/srv/sub\ntester\n/home/tester\n"
    # run arguments replace CMD; -e and -u override the image
    assert berth.out("run", "--rm", "-e", "A=run", "-u", "0", "eff:cmd", "sh", "-c",
                     "echo $A; id -u; pwd") == "run\n0\n/srv/sub\n"
    env = berth.out("run", "--rm", "eff:cmd", "env")
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n" in env

    berth("import", "-c", 'ENTRYPOINT ["echo", "ep"]', "-c", 'CMD ["default"]', rootfs_tar,
          "eff:ep")
    assert berth.out("run", "--rm", "eff:ep") == "ep default\n"
    assert berth.out("run", "--rm", "eff:ep", "given") == "ep given\n"

    berth("import", "-c", "CMD echo shell form $HOME", rootfs_tar, "eff:shellcmd")
    assert berth.inspect("eff:shellcmd")["Config"]["Cmd"] == \
        ["/bin/sh", "-c", "echo shell form $HOME"]
    assert berth.out("run", "--rm", "eff:shellcmd") == "shell form /root\n"

    # a shell-form ENTRYPOINT ignores CMD and run arguments, as in Docker
    berth("import", "-c", "ENTRYPOINT echo shell entrypoint", rootfs_tar, "eff:shellep")
    assert berth.out("run", "--rm", "eff:shellep", "ignored") == "shell entrypoint\n"

    berth("import", "-c", "USER 4242:77", rootfs_tar, "eff:uid")
    assert berth.out("run", "--rm", "eff:uid", "sh", "-c", "id -u; id -g") == "4242\n77\n"


def test_import_stopsignal_is_what_stop_sends(berth, rootfs_tar):
    berth("import", "-c", "STOPSIGNAL SIGUSR1", rootfs_tar, "sig")
    cid = berth.out("run", "-d", "sig", "sh", "-c",
                    "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done").strip()
    for _ in range(200):
        if berth.out("logs", cid) == "ready\n":
            break
        time.sleep(0.05)
    assert berth.out("logs", cid) == "ready\n"
    # SIGTERM would be ignored by this PID 1 and end in SIGKILL (137)
    berth("stop", "-t", "5", cid)
    assert berth.inspect(cid)["State"]["ExitCode"] == 42


def test_import_volume_is_mounted_in_containers(berth, rootfs_tar):
    berth("import", "-c", "VOLUME /data", rootfs_tar, "vol")
    p = berth("run", "--rm", "vol", "sh", "-c", "test -d /data && grep -c ' /data ' /proc/self/mountinfo",
              check=False)
    assert (p.returncode, p.stdout) == (0, "1\n"), p.stderr


def test_import_message_is_the_comment_and_history(berth, rootfs_tar, tmp_path):
    berth("import", "-m", "built by hand", rootfs_tar, "msg")
    assert berth.inspect("msg")["Comment"] == "built by hand"
    berth("import", "--message", "second", rootfs_tar, "msg2")
    assert berth.inspect("msg2")["Comment"] == "second"
    # the history as the image config carries it (what `docker history` shows)
    berth("save", "-o", tmp_path / "msg.tar", "msg")
    image_id = berth.inspect("msg")["Id"]
    config = archive_json(str(tmp_path / "msg.tar"), "blobs/sha256/" + image_id[7:])
    assert [h.get("comment") for h in config["history"]] == ["built by hand"]
    berth("import", rootfs_tar, "nomsg")
    assert berth.inspect("nomsg")["Comment"] == "Imported from -"


@pytest.mark.parametrize("change,message", [
    ("RUN x", "run is not a valid change command"),
    ("FROBNICATE y", "unknown instruction: FROBNICATE"),
    ("STOPSIGNAL NOPE", "Invalid signal: NOPE"),
    ("EXPOSE 99999", "invalid containerPort: 99999"),
    ("CMD", "CMD requires at least one argument"),
])
def test_import_bad_change_fails_and_creates_nothing(berth, rootfs_tar, change, message):
    p = berth("import", "-c", "ENV OK=1", "-c", change, rootfs_tar, "bad:change", check=False)
    assert p.returncode != 0
    assert message in p.stderr
    assert p.stdout == ""
    assert_store_empty(berth)
    # the same from stdin
    with open(rootfs_tar, "rb") as f:
        p = berth("import", "-c", change, "-", "bad:change", input=f.read(), binary=True,
                  check=False)
    assert p.returncode != 0 and message.encode() in p.stderr
    assert_store_empty(berth)


def test_import_of_a_tar_with_no_entries_is_an_empty_image(berth, tmp_path):
    # `tar cf - -T /dev/null | docker import - scratch`, the usual way to
    # make an empty base image
    subprocess.run(["tar", "cf", tmp_path / "none.tar", "-T", "/dev/null"], check=True)
    berth("import", tmp_path / "none.tar", "scratch")
    assert parse_table(berth.out("images"))[0][4] == "0B"
    assert berth.inspect("scratch")["RootFS"]["Layers"] == [sha256_file(tmp_path / "none.tar")]


@pytest.mark.parametrize("kind", ["empty", "random", "truncated", "truncated-gzip"])
def test_import_corrupt_or_empty_tar_fails_cleanly(berth, rootfs_tar, tmp_path, kind):
    with open(rootfs_tar, "rb") as f:
        raw = f.read()
    data = {
        "empty": b"",
        "random": hashlib.sha512(b"x").digest() * 200,
        "truncated": raw[:100000],
        "truncated-gzip": gzip.compress(raw)[:50000],
    }[kind]
    path = tmp_path / "bad.tar"
    path.write_bytes(data)
    p = berth("import", str(path), "broken", check=False)
    assert p.returncode != 0
    assert p.stderr.startswith("Error: ") and p.stdout == ""
    assert_store_empty(berth)
    p = berth("import", "-", "broken", input=data, binary=True, check=False)
    assert p.returncode != 0 and p.stdout == b""
    assert_store_empty(berth)


def test_import_bad_reference_or_source(berth, rootfs_tar, tmp_path):
    p = berth("import", rootfs_tar, "Upper/Case", check=False)
    assert p.returncode != 0 and "invalid reference format" in p.stderr
    p = berth("import", rootfs_tar, "x@sha256:" + "0" * 64, check=False)
    assert p.returncode != 0 and "digest" in p.stderr
    p = berth("import", str(tmp_path / "missing.tar"), "x", check=False)
    assert p.returncode != 0 and "No such file or directory" in p.stderr
    p = berth("import", check=False)
    assert p.returncode != 0 and "requires at least 1" in p.stderr
    assert_store_empty(berth)


def test_import_cannot_write_outside_the_image(berth, rootfs_tar, tmp_path):
    tar = tmp_path / "evil.tar"
    shutil.copy(rootfs_tar, tar)
    with tarfile.open(tar, "a") as t:
        for name in ["../../../../escaped.txt", "/absolute.txt"]:
            info = tarfile.TarInfo(name)
            info.size = 3
            t.addfile(info, io.BytesIO(b"in\n"))
    berth("import", str(tar), "evil")
    # both land at the root of the image and nowhere else
    assert berth.out("run", "--rm", "evil", "cat", "/escaped.txt", "/absolute.txt") == "in\nin\n"
    for parent in [berth.base, os.path.dirname(berth.base), "/"]:
        assert not os.path.exists(os.path.join(parent, "escaped.txt"))
        assert not os.path.exists(os.path.join(parent, "absolute.txt"))


def test_import_over_an_existing_name_leaves_the_old_image_dangling(berth, rootfs_tar):
    first = berth.out("import", "-m", "one", rootfs_tar, "same").strip()
    second = berth.out("import", "-m", "two", rootfs_tar, "same").strip()
    assert first != second
    assert berth.inspect("same")["Id"] == second
    assert berth.inspect(first)["RepoTags"] == []
    assert berth.out("images", "-q", "-f", "dangling=true") == first[7:19] + "\n"


# ---- load --------------------------------------------------------------------

@pytest.mark.parametrize("fmt,name", [("docker", "umoci/busybox:da"), ("oci", "umoci/busybox:oa")])
def test_load_skopeo_archives_and_run(berth, foreign, fmt, name):
    p = berth("load", "-i", foreign[fmt])
    assert (p.stdout, p.stderr) == (f"Loaded image: {name}\n", "")
    doc = berth.inspect(name)
    # the image ID is the digest of the config umoci wrote, kept by skopeo
    assert doc["Id"] == foreign["src_id"]
    assert doc["RepoTags"] == [name]
    assert doc["Config"]["Cmd"] == ["echo", "from-umoci"]
    assert doc["Config"]["Env"] == ["FOO=bar"]
    assert doc["Config"]["Labels"] == {"made": "umoci"}
    assert berth.out("run", "--rm", name, "echo", "ok") == "ok\n"
    assert berth.out("run", "--rm", name) == "from-umoci\n"
    assert berth.out("run", "--rm", name, "sh", "-c", "echo $FOO") == "bar\n"


def test_load_input_forms_and_quiet(berth, foreign):
    p = run_stdin_file(berth, foreign["docker"], "load")
    assert (p.returncode, p.stdout) == (0, "Loaded image: umoci/busybox:da\n"), p.stderr
    berth("rmi", "umoci/busybox:da")
    with open(foreign["oci"], "rb") as f:
        p = berth("load", input=f.read(), binary=True)  # a pipe
    assert p.stdout == b"Loaded image: umoci/busybox:oa\n"
    berth("rmi", "umoci/busybox:oa")
    assert_store_empty(berth)
    p = berth("load", "-q", "-i", foreign["docker"])
    assert (p.stdout, p.stderr) == ("", "")
    p = run_stdin_file(berth, foreign["oci"], "load", "--quiet")
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    assert sorted(berth.inspect(foreign["src_id"])["RepoTags"]) == \
        ["umoci/busybox:da", "umoci/busybox:oa"]
    # loading again is harmless and says the same
    assert berth.out("load", "-i", foreign["docker"]) == "Loaded image: umoci/busybox:da\n"


def test_load_untagged_archive_reports_the_id(berth, foreign):
    p = berth("load", "-i", foreign["docker_untagged"])
    assert p.stdout == f"Loaded image ID: {foreign['src_id']}\n"
    assert berth.inspect(foreign["src_id"])["RepoTags"] == []
    assert berth.out("run", "--rm", foreign["src_id"][7:19], "echo", "ok") == "ok\n"


def test_load_takes_a_name_from_another_image(berth, rootfs_tar, foreign):
    old = berth.out("import", rootfs_tar, "umoci/busybox:da").strip()
    p = berth("load", "-i", foreign["docker"])
    assert p.stdout == (f"The image umoci/busybox:da already exists, renaming the old one with "
                        f"ID {old} to empty string\nLoaded image: umoci/busybox:da\n")
    assert berth.inspect("umoci/busybox:da")["Id"] == foreign["src_id"]
    assert berth.inspect(old)["RepoTags"] == []
    assert berth.out("images", "-q", "-f", "dangling=true") == old[7:19] + "\n"


def test_load_compressed_archive(berth, foreign, tmp_path):
    with open(foreign["docker"], "rb") as f:
        (tmp_path / "a.tar.gz").write_bytes(gzip.compress(f.read(), 1))
    assert berth.out("load", "-i", tmp_path / "a.tar.gz") == "Loaded image: umoci/busybox:da\n"
    assert berth.out("run", "--rm", "umoci/busybox:da", "echo", "ok") == "ok\n"


@pytest.mark.parametrize("kind", ["rootfs", "random", "empty", "tampered-layer", "missing-file"])
def test_load_bad_archive_fails_and_stores_nothing(berth, rootfs_tar, foreign, tmp_path, kind):
    bad = tmp_path / "bad.tar"
    if kind == "rootfs":
        shutil.copy(rootfs_tar, bad)
        expect = "manifest.json"
    elif kind == "random":
        bad.write_bytes(hashlib.sha512(b"y").digest() * 100)
        expect = "Error: "
    elif kind == "empty":
        bad.write_bytes(b"")
        expect = "Error: "
    else:
        # the skopeo docker-archive with its layer swapped for other bytes,
        # or with the layer left out
        with tarfile.open(foreign["docker"]) as src, tarfile.open(bad, "w") as out:
            for m in src.getmembers():
                data = src.extractfile(m).read() if m.isfile() else None
                if m.isfile() and len(data) > 1000000:
                    if kind == "missing-file":
                        continue
                    data = data[:-1024] + b"\1" * 1024
                out.addfile(m, io.BytesIO(data) if data is not None else None)
        expect = "Error: "
    p = berth("load", "-i", bad, check=False)
    assert p.returncode != 0, p.stdout
    assert expect in p.stderr and "Loaded" not in p.stdout
    assert_store_empty(berth)
    p = berth("load", "-i", tmp_path / "nonexistent.tar", check=False)
    assert p.returncode != 0 and "No such file or directory" in p.stderr


# ---- save --------------------------------------------------------------------

def test_save_to_file_and_to_stdout(bb, tmp_path):
    image_id = bb.inspect("busybox")["Id"]
    bb("save", "-o", tmp_path / "file.tar", "busybox")
    streamed = bb("save", "busybox", binary=True)
    assert streamed.stderr == b""
    with open(tmp_path / "file.tar", "rb") as f:
        assert f.read() == streamed.stdout
    # stdout redirected to a regular file
    with open(tmp_path / "redirected.tar", "wb") as f:
        p = subprocess.run(bb.argv("save", "busybox"), stdout=f, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0
    with open(tmp_path / "redirected.tar", "rb") as f:
        assert f.read() == streamed.stdout
    assert sorted(os.listdir(tmp_path)) == ["file.tar", "redirected.tar"]

    members = archive_members(str(tmp_path / "file.tar"))
    assert {"manifest.json", "index.json", "oci-layout"} <= set(members)
    manifest = archive_json(str(tmp_path / "file.tar"), "manifest.json")
    assert len(manifest) == 1
    assert manifest[0]["RepoTags"] == ["busybox:latest"]
    assert manifest[0]["Config"] == "blobs/sha256/" + image_id[7:]
    layer = bb.inspect("busybox")["RootFS"]["Layers"][0]
    assert manifest[0]["Layers"] == ["blobs/sha256/" + layer[7:]]
    index = archive_json(str(tmp_path / "file.tar"), "index.json")
    assert index["schemaVersion"] == 2 and len(index["manifests"]) == 1
    assert index["manifests"][0]["annotations"]["io.containerd.image.name"] == \
        "docker.io/library/busybox:latest"
    # every blob is what its name says
    with tarfile.open(tmp_path / "file.tar") as t:
        for m in t.getmembers():
            if m.isfile() and m.name.startswith("blobs/sha256/"):
                digest = hashlib.sha256(t.extractfile(m).read()).hexdigest()
                assert m.name == "blobs/sha256/" + digest


def test_save_load_round_trip_into_a_fresh_root(bb, fresh, rootfs_tar, tmp_path):
    bb("import", "-m", "with config", "-c", "ENV GREETING=hello", "-c", "WORKDIR /srv",
       "-c", 'CMD ["sh", "-c", "echo $GREETING from $(pwd)"]', "-c", "LABEL tier=web",
       rootfs_tar, "app:2")
    bb("save", "-o", tmp_path / "both.tar", "busybox", "app:2")
    p = fresh("load", "-i", tmp_path / "both.tar")
    assert sorted(p.stdout.splitlines()) == ["Loaded image: app:2", "Loaded image: busybox:latest"]
    for name in ["busybox", "app:2"]:
        mine, theirs = bb.inspect(name), fresh.inspect(name)
        for key in ["Id", "RepoTags", "Config", "Comment", "Created", "RootFS", "Os",
                    "Architecture", "Size"]:
            assert theirs[key] == mine[key], key
    assert fresh.out("run", "--rm", "busybox", "echo", "ok") == "ok\n"
    assert fresh.out("run", "--rm", "app:2") == "hello from /srv\n"
    assert fresh.out("images", "-q") == bb.out("images", "-q")


def test_save_is_read_by_skopeo(bb, foreign, fresh, tmp_path):
    image_id = bb.inspect("busybox")["Id"]
    layers = bb.inspect("busybox")["RootFS"]["Layers"]
    bb("save", "-o", tmp_path / "s.tar", "busybox")
    for transport in ["docker-archive", "oci-archive"]:
        doc = json.loads(skopeo(foreign["tmp"], "inspect", f"{transport}:{tmp_path / 's.tar'}").stdout)
        assert doc["Layers"] == layers, transport
        assert (doc["Os"], doc["Architecture"]) == ("linux", GOARCH)
        config = json.loads(skopeo(foreign["tmp"], "inspect", "--config",
                                   f"{transport}:{tmp_path / 's.tar'}").stdout)
        assert config["rootfs"]["diff_ids"] == layers
    raw = skopeo(foreign["tmp"], "inspect", "--raw", "--config",
                 f"docker-archive:{tmp_path / 's.tar'}").stdout
    assert "sha256:" + hashlib.sha256(raw.encode()).hexdigest() == image_id
    # and what skopeo makes of it loads and runs again
    skopeo(foreign["tmp"], "copy", "-q", f"docker-archive:{tmp_path / 's.tar'}",
           f"docker-archive:{tmp_path / 'again.tar'}:via/skopeo:1")
    assert fresh.out("load", "-i", tmp_path / "again.tar") == "Loaded image: via/skopeo:1\n"
    assert fresh.inspect("via/skopeo:1")["Id"] == image_id
    assert fresh.out("run", "--rm", "via/skopeo:1", "echo", "ok") == "ok\n"


def test_save_repository_saves_every_tag_and_ids_save_untagged(bb, fresh, rootfs_tar, tmp_path):
    bb("tag", "busybox", "busybox:1.36")
    bb("tag", "busybox", "other:x")
    loose = bb.out("import", "-m", "loose", rootfs_tar).strip()
    bb("save", "-o", tmp_path / "repo.tar", "busybox", loose[7:19])
    manifest = archive_json(str(tmp_path / "repo.tar"), "manifest.json")
    tags = sorted(t for e in manifest for t in (e["RepoTags"] or []))
    assert tags == ["busybox:1.36", "busybox:latest"]
    assert sorted(e["Config"] for e in manifest) == \
        sorted("blobs/sha256/" + i[7:] for i in [bb.inspect("busybox")["Id"], loose])
    p = fresh("load", "-i", tmp_path / "repo.tar")
    assert sorted(p.stdout.splitlines()) == ["Loaded image ID: " + loose,
                                             "Loaded image: busybox:1.36",
                                             "Loaded image: busybox:latest"]
    assert fresh("inspect", "other:x", check=False).returncode != 0


def test_save_unknown_image_fails_without_output(bb, tmp_path):
    p = bb("save", "-o", tmp_path / "out.tar", "busybox", "nosuch", check=False)
    assert p.returncode != 0 and "No such image: nosuch" in p.stderr
    assert os.listdir(tmp_path) == []
    p = bb("save", "nosuch", binary=True, check=False)
    assert p.returncode != 0 and p.stdout == b""
    p = bb("save", check=False)
    assert p.returncode != 0 and "requires at least 1 argument" in p.stderr


# ---- images ------------------------------------------------------------------

def test_images_table(bb, rootfs_tar):
    loose = bb.out("import", "-m", "loose", rootfs_tar).strip()
    out = bb.out("images")
    rows = parse_table(out)
    doc = bb.inspect("busybox")
    assert len(rows) == 2
    by_repo = {r[0]: r for r in rows}
    repo, tag, short, created, size = by_repo["busybox"]
    assert (tag, short) == ("latest", doc["Id"][7:19])
    assert SHORT_RE.match(short)
    assert FRESH_RE.match(created), created
    assert size == human_size(doc["Size"]) and size.endswith("MB")
    assert by_repo["<none>"][:3] == ["<none>", "<none>", loose[7:19]]
    # newest first
    assert rows[0][0] == "<none>"


def test_images_created_and_size_of_an_old_image(berth, foreign):
    berth("load", "-i", foreign["old"])
    rows = parse_table(berth.out("images"))
    created = datetime(2020, 1, 1, tzinfo=timezone.utc)
    years = int((datetime.now(timezone.utc) - created).total_seconds() // 3600 // 24 // 365)
    assert rows == [["old/img", "1", foreign["old_id"][7:19], f"{years} years ago",
                     human_size(berth.inspect("old/img:1")["Size"])]]
    assert berth.inspect("old/img:1")["Created"].startswith("2020-01-01T00:00:00")


def test_images_quiet_and_no_trunc(bb, rootfs_tar):
    bb("tag", "busybox", "second:tag")
    loose = bb.out("import", "-m", "loose", rootfs_tar).strip()
    image_id = bb.inspect("busybox")["Id"]
    quiet = bb.out("images", "-q").splitlines()
    assert set(quiet) == {image_id[7:19], loose[7:19]}
    assert quiet[0] == loose[7:19]
    full = bb.out("images", "-q", "--no-trunc").splitlines()
    assert set(full) == {image_id, loose}
    rows = parse_table(bb.out("images", "--no-trunc"))
    assert {r[2] for r in rows} == {image_id, loose}
    assert all(ID_RE.match(r[2]) for r in rows)
    assert sorted((r[0], r[1]) for r in rows) == \
        [("<none>", "<none>"), ("busybox", "latest"), ("second", "tag")]


def test_images_filters(bb, rootfs_tar):
    bb("tag", "busybox", "busybox:1.36")
    bb("tag", "busybox", "other/thing:x")
    labelled = bb.out("import", "-c", "LABEL k=v", rootfs_tar).strip()

    def names(*args):
        return sorted(f"{r[0]}:{r[1]}" for r in parse_table(bb.out("images", *args)))

    assert names("busybox") == ["busybox:1.36", "busybox:latest"]
    assert names("busybox:1.36") == ["busybox:1.36"]
    assert names("-f", "reference=busybox") == ["busybox:1.36", "busybox:latest"]
    assert names("-f", "reference=busybox:1.*") == ["busybox:1.36"]
    assert names("-f", "reference=*/thing") == ["other/thing:x"]
    assert names("--filter", "reference=busybox", "-f", "reference=other/*") == \
        ["busybox:1.36", "busybox:latest", "other/thing:x"]
    assert names("nosuch") == []
    assert names("-f", "dangling=true") == ["<none>:<none>"]
    assert names("-f", "dangling=false") == ["busybox:1.36", "busybox:latest", "other/thing:x"]
    assert bb.out("images", "-q", "-f", "dangling=true") == labelled[7:19] + "\n"
    assert bb.out("images", "-q", "-f", "label=k=v") == labelled[7:19] + "\n"
    assert bb.out("images", "-q", "-f", "label=k=other") == ""
    for bad, msg in [("bogus=1", "invalid filter 'bogus'"),
                     ("dangling=maybe", "invalid filter 'dangling=maybe'"),
                     ("novalue", "bad format of filter")]:
        p = bb("images", "-f", bad, check=False)
        assert p.returncode != 0 and msg in p.stderr, (bad, p.stderr)
    p = bb("images", "a", "b", check=False)
    assert p.returncode != 0 and "at most 1 argument" in p.stderr


def test_images_of_an_empty_store_is_the_header(berth):
    assert parse_table(berth.out("images")) == []
    assert berth.out("images", "-q") == ""
    assert berth.out("images", "-a", "--no-trunc", "busybox").splitlines()[0].split() == \
        ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]


def docker_table(rows):
    """The table as docker's CLI lays it out: Go's tabwriter with minwidth
    10 and padding 3 (docker/cli formatter.Context.postFormat); the last
    column is not padded."""
    widths = [max(10, max(len(r[c]) for r in rows) + 3) for c in range(4)]
    return "".join("".join(r[c].ljust(widths[c]) for c in range(4)) + r[4] + "\n" for r in rows)


def test_images_table_has_dockers_column_widths(berth, rootfs_tar):
    assert berth.out("images") == "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
    berth("import", rootfs_tar, "busybox")
    out = berth.out("images")
    assert out == docker_table([HEADER] + parse_table(out))


# ---- tag and rmi -------------------------------------------------------------

def test_tag_lists_both_names_with_one_id(bb):
    image_id = bb.inspect("busybox")["Id"]
    p = bb("tag", "busybox", "mine/bb:v1")
    assert (p.stdout, p.stderr) == ("", "")
    bb("tag", image_id[7:19], "byid")
    rows = parse_table(bb.out("images"))
    assert sorted((r[0], r[1], r[2]) for r in rows) == sorted([
        ("busybox", "latest", image_id[7:19]),
        ("byid", "latest", image_id[7:19]),
        ("mine/bb", "v1", image_id[7:19])])
    assert sorted(bb.inspect(image_id)["RepoTags"]) == ["busybox:latest", "byid:latest", "mine/bb:v1"]
    assert bb.out("run", "--rm", "mine/bb:v1", "echo", "ok") == "ok\n"


def test_tag_errors(bb):
    p = bb("tag", "nosuch", "x", check=False)
    assert p.returncode != 0 and "No such image: nosuch" in p.stderr
    p = bb("tag", "busybox", "Bad:Name", check=False)
    assert p.returncode != 0 and "invalid reference format" in p.stderr
    p = bb("tag", "busybox", check=False)
    assert p.returncode != 0 and "requires exactly 2 arguments" in p.stderr
    assert bb.inspect("busybox")["RepoTags"] == ["busybox:latest"]


def test_rmi_untags_then_deletes_with_the_last_name(bb):
    doc = bb.inspect("busybox")
    image_id, layer = doc["Id"], doc["RootFS"]["Layers"][0]
    before = store_files(bb)
    assert image_id[7:] in before["blobs/sha256"] and layer[7:] in before["layers"]
    bb("tag", "busybox", "mine/bb:v1")
    p = bb("rmi", "mine/bb:v1")
    assert (p.stdout, p.stderr) == ("Untagged: mine/bb:v1\n", "")
    assert store_files(bb) == before
    assert bb.inspect(image_id)["RepoTags"] == ["busybox:latest"]
    p = bb("rmi", "busybox")
    assert p.stdout == f"Untagged: busybox:latest\nDeleted: {image_id}\n"
    assert_store_empty(bb)
    p = bb("rmi", "busybox", check=False)
    assert p.returncode != 0 and "No such image: busybox" in p.stderr


def test_rmi_keeps_a_layer_other_images_use(bb, rootfs_tar):
    image_id = bb.inspect("busybox")["Id"]
    layer = bb.inspect("busybox")["RootFS"]["Layers"][0]
    other = bb.out("import", "-m", "same layer", rootfs_tar, "other").strip()
    assert bb.out("rmi", "busybox") == f"Untagged: busybox:latest\nDeleted: {image_id}\n"
    files = store_files(bb)
    assert image_id[7:] not in files["blobs/sha256"]
    assert layer[7:] in files["layers"] and layer[7:] in files["blobs/sha256"]
    assert bb.out("run", "--rm", "other", "echo", "ok") == "ok\n"
    # one rmi with two names of the same image: untag, then untag and delete
    bb("tag", "other", "other:two")
    assert bb.out("rmi", "other", "other:two") == \
        f"Untagged: other:latest\nUntagged: other:two\nDeleted: {other}\n"
    assert_store_empty(bb)


def test_rmi_untagged_image_by_id(bb, rootfs_tar):
    loose = bb.out("import", "-m", "loose", rootfs_tar).strip()
    assert bb.out("rmi", loose[7:19]) == f"Deleted: {loose}\n"
    assert bb.out("images", "-aq") == bb.inspect("busybox")["Id"][7:19] + "\n"


def test_rmi_of_an_image_a_stopped_container_uses(bb):
    image_id = bb.inspect("busybox")["Id"]
    short = image_id[7:19]
    cid = bb.out("create", "busybox", "true").strip()
    p = bb("rmi", "busybox", check=False)
    assert p.returncode != 0
    assert p.stderr == ("Error: conflict: unable to remove repository reference \"busybox\" "
                        f"(must force) - container {cid[:12]} is using its referenced image "
                        f"{short}\n")
    p = bb("rmi", short, check=False)
    assert p.returncode != 0
    assert p.stderr == (f"Error: conflict: unable to delete {short} (must be forced) - image is "
                        f"being used by stopped container {cid[:12]}\n")
    assert bb.inspect("busybox")["Id"] == image_id
    p = bb("rmi", "-f", "busybox")
    assert p.stdout == f"Untagged: busybox:latest\nDeleted: {image_id}\n"
    assert bb.out("images", "-aq") == ""


def test_rmi_force_leaves_a_stopped_container_startable(bb):
    image_id = bb.inspect("busybox")["Id"]
    bb("create", "--name", "keeper", "busybox", "echo", "still here")
    assert bb.out("rmi", "-f", "busybox") == f"Untagged: busybox:latest\nDeleted: {image_id}\n"
    p = bb("start", "-a", "keeper", check=False)
    assert (p.returncode, p.stdout) == (0, "still here\n"), p.stderr


def test_rmi_of_an_image_a_running_container_uses(bb):
    image_id = bb.inspect("busybox")["Id"]
    short = image_id[7:19]
    cid = bb.out("run", "-d", "busybox", "sleep", "1000").strip()
    for args in [(short,), ("-f", short)]:
        p = bb("rmi", *args, check=False)
        assert p.returncode != 0
        assert p.stderr == (f"Error: conflict: unable to delete {short} (cannot be forced) - "
                            f"image is being used by running container {cid[:12]}\n")
    p = bb("rmi", "busybox", check=False)
    assert p.returncode != 0 and "(must force) - container " + cid[:12] in p.stderr
    # forced by name: the name goes, the image stays for the container
    assert bb.out("rmi", "-f", "busybox") == "Untagged: busybox:latest\n"
    assert bb.out("images", "-q", "-f", "dangling=true") == short + "\n"
    assert bb.inspect(cid)["State"]["Running"]
    bb("rm", "-f", cid)
    assert bb.out("rmi", short) == f"Deleted: {image_id}\n"
    assert_store_empty(bb)


def test_rmi_by_id_with_several_names_needs_force(bb):
    image_id = bb.inspect("busybox")["Id"]
    short = image_id[7:19]
    bb("tag", "busybox", "mine/bb:v1")
    p = bb("rmi", short, check=False)
    assert p.returncode != 0
    assert p.stderr == (f"Error: conflict: unable to delete {short} (must be forced) - image is "
                        "referenced in multiple repositories\n")
    assert sorted(bb.inspect(image_id)["RepoTags"]) == ["busybox:latest", "mine/bb:v1"]
    # two tags of one repository are "multiple" too
    bb("rmi", "mine/bb:v1")
    bb("tag", "busybox", "busybox:1.36")
    assert bb("rmi", short, check=False).returncode != 0
    p = bb("rmi", "-f", short)
    assert sorted(p.stdout.splitlines()) == sorted(
        ["Untagged: busybox:1.36", "Untagged: busybox:latest", f"Deleted: {image_id}"])
    assert p.stdout.splitlines()[-1] == f"Deleted: {image_id}"
    assert_store_empty(bb)


def test_rmi_unknown_image(bb):
    p = bb("rmi", "nosuch", check=False)
    assert p.returncode != 0
    # as dockerd names it: with the default tag
    assert p.stderr == "Error: No such image: nosuch:latest\n" and p.stdout == ""
    # the others named are still removed
    image_id = bb.inspect("busybox")["Id"]
    p = bb("rmi", "nosuch", "busybox", "0123456789ab", check=False)
    assert p.returncode != 0
    assert p.stdout == f"Untagged: busybox:latest\nDeleted: {image_id}\n"
    assert "No such image: nosuch" in p.stderr and "No such image: 0123456789ab" in p.stderr
    assert_store_empty(bb)


# ---- inspect -----------------------------------------------------------------

def test_inspect_image(bb, rootfs_tar):
    doc = bb.inspect("busybox")
    image_id = doc["Id"]
    assert ID_RE.match(image_id)
    assert doc["RepoTags"] == ["busybox:latest"] and doc["RepoDigests"] == []
    assert doc["RootFS"] == {"Type": "layers", "Layers": [sha256_file(rootfs_tar)]}
    assert (doc["Os"], doc["Architecture"]) == ("linux", GOARCH)
    assert doc["Size"] > os.path.getsize("/bin/busybox")
    for key in ["Hostname", "User", "Env", "Cmd", "Entrypoint", "WorkingDir", "Labels",
                "Volumes", "Image", "Tty", "OpenStdin"]:
        assert key in doc["Config"], key
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", doc["Created"])
    # any of the image's names finds the same document
    for name in ["busybox:latest", "docker.io/library/busybox", image_id, image_id[7:],
                 image_id[7:19]]:
        assert bb.inspect(name) == doc, name
    assert bb.out("inspect", "-f", "{{.Os}}/{{.Architecture}} {{.Id}}", "busybox") == \
        f"linux/{GOARCH} {image_id}\n"


def test_inspect_type_image(bb):
    image_id = bb.inspect("busybox")["Id"]
    # a container called like the image: plain inspect finds the container
    bb("create", "--name", "busybox", "busybox", "true")
    assert "State" in bb.inspect("busybox")
    docs = json.loads(bb.out("inspect", "--type", "image", "busybox"))
    assert len(docs) == 1 and docs[0]["Id"] == image_id and "State" not in docs[0]
    assert json.loads(bb.out("inspect", "--type", "container", "busybox"))[0]["Image"] == image_id
    p = bb("inspect", "--type", "container", image_id, check=False)
    assert p.returncode != 0 and p.stdout.strip() in ("", "[]")
    p = bb("inspect", "--type", "volume", "busybox", check=False)
    assert p.returncode != 0 and "is not a valid value for --type" in p.stderr


def test_inspect_type_image_unknown_says_no_such_image(bb):
    p = bb("inspect", "--type", "image", "nosuch", check=False)
    assert p.returncode != 0 and "No such image: nosuch" in p.stderr
