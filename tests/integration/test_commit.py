"""Container changes (docker diff) and commit, driven by docker-py (5.0.3
and 7.1.0), the docker CLI and the berth CLI: the changes a container made
(added, changed and deleted files, a deleted lower file, an opaque
directory), images committed from them (message, author, Dockerfile
changes, a Config body) that run at once and show the change, their
history and config, the layer's whiteouts, byte-identical layers for the
same content, the pause around a commit, and the errors."""
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time

import docker
import pytest

from test_dockerpy import py7, run_py7  # noqa: F401 (py7 is a fixture)

# Changes every kind of thing: a new file, a changed lower file, a deleted
# lower file, a new directory tree, an opaque directory (rm -rf + mkdir),
# a symlink to a host path (never followed), a FIFO (never opened).
SCRIPT = ("echo hi > /new; echo x >> /etc/passwd; rm /bin/ls; mkdir -p /d/e; touch /d/e/f;"
          " rm -rf /usr && mkdir /usr && touch /usr/n; ln -s /etc/shadow /lnk; mkfifo /ff")

EXPECTED = [
    ("/bin", 0), ("/bin/ls", 2),
    ("/d", 1), ("/d/e", 1), ("/d/e/f", 1),
    ("/etc", 0), ("/etc/passwd", 0),
    ("/ff", 1), ("/lnk", 1), ("/new", 1),
    ("/usr", 0), ("/usr/bin", 2), ("/usr/n", 1), ("/usr/sbin", 2),
]


def changed(client, name="changed"):
    c = client.containers.run("busybox", ["sh", "-c", SCRIPT], name=name, detach=True)
    assert c.wait()["StatusCode"] == 0
    return c


def saved(image):
    """(config, {diff_id: layer tar bytes}) of an image, from images.get().save()."""
    data = b"".join(image.save(named=image.tags[0] if image.tags else None))
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        manifest = json.load(t.extractfile("manifest.json"))[0]
        config = json.load(t.extractfile(manifest["Config"]))
        layers = {}
        for path, diff_id in zip(manifest["Layers"], config["rootfs"]["diff_ids"]):
            layers[diff_id] = t.extractfile(path).read()
    return config, layers


def events(client, since, **filters):
    return [(e["Type"], e["Action"]) for e in
            client.api.events(since=since, until=time.time() + 0.001, decode=True, filters=filters)]


# ---- diff -------------------------------------------------------------------

def test_diff_lists_changes_in_dockers_order(daemon):
    cl = daemon.client
    c = cl.containers.create("busybox", ["true"])
    assert c.diff() is None  # null, not [], as Docker
    c2 = changed(cl)
    assert [(d["Path"], d["Kind"]) for d in c2.diff()] == EXPECTED
    # while it runs too, and what it changes shows at once
    r = cl.containers.run("busybox", ["sh", "-c", "touch /tmp/x; rm /bin/cat; sleep 300"], detach=True)
    try:
        deadline = time.time() + 20
        while time.time() < deadline and len(r.diff() or []) < 4:
            time.sleep(0.05)
        assert [(d["Path"], d["Kind"]) for d in r.diff()] == [
            ("/bin", 0), ("/bin/cat", 2), ("/tmp", 0), ("/tmp/x", 1)]
    finally:
        r.remove(force=True)


def test_diff_of_a_name_that_is_not_utf8_and_a_dir_sorted_before_its_sibling(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "mkdir /a /a-b /a/z; touch $(printf '/a/\\377')"],
                          detach=True)
    assert c.wait()["StatusCode"] == 0
    # filepath.Walk order: a directory's content before "a-b"
    assert [(d["Path"], d["Kind"]) for d in c.diff()] == [
        ("/a", 1), ("/a/z", 1), ("/a/\ufffd", 1), ("/a-b", 1)]


# ---- commit -------------------------------------------------------------------

def test_commit_with_message_author_changes_runs_and_shows_the_change(daemon):
    cl = daemon.client
    c = changed(cl)
    base = cl.images.get("busybox")
    img = c.commit(repository="mine", tag="v1", message="my message", author="Me <me@x>",
                   changes=['CMD ["cat", "/new"]', "ENV A=b", "LABEL k=v"])
    assert img.tags == ["mine:v1"]
    assert cl.containers.run("mine:v1", remove=True) == b"hi\n"
    out = cl.containers.run("mine:v1", ["sh", "-c",
                                        "test -e /bin/ls || echo ls gone; ls /usr; echo $A;"
                                        " readlink /lnk; tail -1 /etc/passwd; test -p /ff && echo fifo"],
                            remove=True)
    assert out == b"ls gone\nn\nb\n/etc/shadow\nx\nfifo\n"
    a = cl.images.get("mine:v1").attrs
    assert a["Comment"] == "my message"
    assert a["Author"] == "Me <me@x>"
    assert a["Container"] == c.id
    assert a["ContainerConfig"]["Cmd"] == ["sh", "-c", SCRIPT]
    assert a["Config"]["Cmd"] == ["cat", "/new"]
    assert "A=b" in a["Config"]["Env"]
    assert a["Config"]["Labels"] == {"k": "v"}
    assert a["RootFS"]["Layers"][:-1] == base.attrs["RootFS"]["Layers"]
    assert len(a["RootFS"]["Layers"]) == len(base.attrs["RootFS"]["Layers"]) + 1

    # docker-py's history(): newest first, the commit on top with its tags
    hist = cl.images.get("mine:v1").history()
    assert hist[0]["Id"] == img.id and hist[0]["Tags"] == ["mine:v1"]
    assert (hist[0]["Comment"], hist[0]["CreatedBy"]) == ("my message", "sh -c " + SCRIPT)
    assert hist[0]["Size"] > 0
    assert [h["Id"] for h in hist[1:]] == ["<missing>"] * (len(hist) - 1)
    assert len(hist) == len(base.history()) + 1
    assert sum(h["Size"] for h in hist[1:]) == sum(h["Size"] for h in base.history())

    config, layers = saved(cl.images.get("mine:v1"))
    last = config["history"][-1]
    assert last["comment"] == "my message"
    assert last["author"] == "Me <me@x>"
    assert last["created_by"] == "sh -c " + SCRIPT
    assert len(config["history"]) == len(saved(base)[0]["history"]) + 1
    assert config["container"] == c.id
    # every layer's bytes hash to its diff_id; the new one has the OCI whiteouts
    for diff_id, data in layers.items():
        assert "sha256:" + hashlib.sha256(data).hexdigest() == diff_id
    new = layers[config["rootfs"]["diff_ids"][-1]]
    with tarfile.open(fileobj=io.BytesIO(new)) as t:
        members = {m.name: m for m in t.getmembers()}
    assert list(members) == ["bin", "bin/.wh.ls", "d", "d/e", "d/e/f", "etc", "etc/passwd", "ff",
                             "lnk", "new", "usr", "usr/.wh..wh..opq", "usr/n"]
    assert members["lnk"].issym() and members["lnk"].linkname == "/etc/shadow"
    assert members["ff"].isfifo()
    assert members["bin/.wh.ls"].isfile() and members["bin/.wh.ls"].size == 0
    # stable headers: no user or group names, no atime/ctime, and plain
    # ustar (no pax header) where nothing needs one
    for m in members.values():
        assert m.uname == "" and m.gname == ""
        assert m.pax_headers == {}
        assert m.mtime > 0


def test_commit_with_a_config_body_keeps_what_it_leaves_empty(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "echo one > /f"], detach=True,
                          environment=["KEEP=1", "OVER=old"], working_dir="/tmp")
    c.wait()
    img_id = cl.api.commit(c.id, repository="conf", conf={"Cmd": ["cat", "/f"], "Env": ["OVER=new"]},
                           changes="LABEL from=change")["Id"]
    assert img_id.startswith("sha256:")
    cfg = cl.images.get("conf").attrs["Config"]
    assert cfg["Cmd"] == ["cat", "/f"]
    assert "OVER=new" in cfg["Env"] and "KEEP=1" in cfg["Env"] and "OVER=old" not in cfg["Env"]
    assert cfg["WorkingDir"] == "/tmp"
    assert cfg["Labels"] == {"from": "change"}
    assert cl.containers.run("conf", remove=True) == b"one\n"
    assert cl.containers.run("conf", ["sh", "-c", "pwd; echo $OVER $KEEP"], remove=True) == b"/tmp\nnew 1\n"


def test_commit_is_reproducible(daemon):
    cl = daemon.client
    c = changed(cl)
    one = cl.images.get(cl.api.commit(c.id, repository="r1")["Id"])
    time.sleep(1.1)  # a later "created": a different image, the same layer
    two = cl.images.get(cl.api.commit(c.id, repository="r2")["Id"])
    assert one.id != two.id
    assert one.attrs["RootFS"]["Layers"][-1] == two.attrs["RootFS"]["Layers"][-1]
    l1 = saved(one)[1][one.attrs["RootFS"]["Layers"][-1]]
    l2 = saved(two)[1][two.attrs["RootFS"]["Layers"][-1]]
    assert l1 == l2
    # a container of the committed image that changes nothing commits no layer
    n = cl.containers.create("r1", ["true"])
    three = cl.images.get(cl.api.commit(n.id)["Id"])
    assert three.attrs["RootFS"]["Layers"] == one.attrs["RootFS"]["Layers"]
    config, _ = saved(three)
    assert config["history"][-1]["empty_layer"] is True


def test_diff_and_commit_never_follow_what_the_container_planted(daemon):
    """A container that keeps swapping /d between a directory and a symlink
    to a host directory while diff and commit (pause=False) read its layer:
    nothing of the host directory ever shows (a bounded number of rounds)."""
    cl = daemon.client
    host = tempfile.mkdtemp(prefix="berth-commit-host-", dir="/tmp")
    try:
        with open(os.path.join(host, "host-only-file"), "w") as f:
            f.write("HOST-SECRET-CONTENT")
        script = (f"ln -s {host} /static; while true; do rm -rf /d; mkdir /d;"
                  f" echo inside > /d/f; rm -rf /d; ln -s {host} /d; done")
        c = cl.containers.run("busybox", ["sh", "-c", script], detach=True)
        try:
            for i in range(6):
                for d in c.diff() or []:
                    assert "host-only" not in d["Path"]
                r = cl.api._post_json(cl.api._url("/commit"), data={},
                                      params={"container": c.id, "repo": f"race{i}", "pause": "0"})
                assert r.status_code == 201, r.text
                img = cl.images.get(f"race{i}")
                config, layers = saved(img)
                data = layers[config["rootfs"]["diff_ids"][-1]]
                assert b"HOST-SECRET-CONTENT" not in data and b"host-only" not in data
                with tarfile.open(fileobj=io.BytesIO(data)) as t:
                    static = t.getmember("static")
                    assert static.issym() and static.linkname == host
        finally:
            c.remove(force=True)
        assert os.listdir(host) == ["host-only-file"]
    finally:
        shutil.rmtree(host)


def test_commit_keeps_file_capabilities_and_refuses_whiteout_names(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "cp /bin/busybox /capped"], detach=True)
    c.wait()
    upper = c.attrs["GraphDriver"]["Data"]["UpperDir"]
    # VFS_CAP_REVISION_2 with the effective flag, permitted = CAP_NET_RAW
    cap = (0x02000001).to_bytes(4, "little") + (1 << 13).to_bytes(4, "little") + bytes(12)
    os.setxattr(os.path.join(upper, "capped"), "security.capability", cap)
    img = cl.images.get(cl.api.commit(c.id, repository="capped")["Id"])
    config, layers = saved(img)
    with tarfile.open(fileobj=io.BytesIO(layers[config["rootfs"]["diff_ids"][-1]])) as t:
        m = t.getmember("capped")
    assert m.pax_headers == {"SCHILY.xattr.security.capability": cap.decode("latin-1")}
    # stored with the layer: the new image's file has it
    layer_dir = img.attrs["GraphDriver"]["Data"]["UpperDir"]
    assert os.getxattr(os.path.join(layer_dir, "capped"), "security.capability") == cap

    # a file named like a whiteout would delete something in the image:
    # refused, with the name in the message
    w = cl.containers.run("busybox", ["sh", "-c", "touch /.wh.bin"], detach=True)
    w.wait()
    assert w.diff() == [{"Path": "/.wh.bin", "Kind": 1}]
    with pytest.raises(docker.errors.APIError) as e:
        cl.api.commit(w.id, repository="whiteoutname")
    assert e.value.response.status_code == 400 and "/.wh.bin" in e.value.explanation
    with pytest.raises(docker.errors.ImageNotFound):
        cl.images.get("whiteoutname")


def test_commit_pauses_a_running_container_unless_pause_false(daemon):
    cl = daemon.client
    c = cl.containers.run("busybox", ["sh", "-c", "echo hi > /x; sleep 300"], detach=True)
    try:
        t0 = time.time()
        cl.api.commit(c.id, repository="paused")
        ev = events(cl, t0, container=c.id)
        assert ev == [("container", "pause"), ("container", "unpause"), ("container", "commit")]
        c.reload()
        assert c.status == "running"

        t1 = time.time()
        r = cl.api._post_json(cl.api._url("/commit"), data={},
                              params={"container": c.id, "repo": "unpaused", "pause": "false"})
        assert r.status_code == 201
        assert events(cl, t1, container=c.id) == [("container", "commit")]
        assert cl.containers.run("unpaused", ["cat", "/x"], remove=True) == b"hi\n"

        # a container paused before stays paused
        c.pause()
        t2 = time.time()
        cl.api.commit(c.id, repository="stays")
        assert events(cl, t2, container=c.id) == [("container", "commit")]
        c.reload()
        assert c.status == "paused"
        c.unpause()
    finally:
        c.remove(force=True)


def test_commit_events_and_tag(daemon):
    cl = daemon.client
    c = changed(cl)
    t0 = time.time()
    img_id = cl.api.commit(c.id, repository="evt", tag="t", message="m")["Id"]
    evs = list(cl.api.events(since=t0, until=time.time() + 0.001, decode=True))
    assert [(e["Type"], e["Action"]) for e in evs] == [("image", "tag"), ("container", "commit")]
    attrs = evs[1]["Actor"]["Attributes"]
    assert attrs["imageID"] == img_id and attrs["imageRef"] == "evt:t" and attrs["comment"] == "m"


def test_errors(daemon):
    cl = daemon.client
    c = changed(cl)
    with pytest.raises(docker.errors.NotFound) as e:
        cl.api.diff("nope")
    assert "No such container: nope" in e.value.explanation
    with pytest.raises(docker.errors.NotFound) as e:
        cl.api.commit("nope")
    assert "No such container: nope" in e.value.explanation
    with pytest.raises(docker.errors.APIError) as e:
        cl.api.commit(c.id, changes="FROBNICATE x")
    assert e.value.response.status_code == 400 and "unknown instruction: FROBNICATE" in e.value.explanation
    with pytest.raises(docker.errors.APIError) as e:
        cl.api.commit(c.id, changes="RUN true")
    assert e.value.response.status_code == 400
    with pytest.raises(docker.errors.APIError) as e:
        cl.api.commit(c.id, repository="Bad Repo")
    assert e.value.response.status_code == 400 and "invalid reference format" in e.value.explanation
    with pytest.raises(docker.errors.APIError) as e:
        cl.api.commit(c.id, conf=["not", "an", "object"])
    assert e.value.response.status_code == 400
    # nothing was made by the failures; the daemon is up
    assert [i for i in cl.images.list() if i.attrs["Container"]] == []
    assert cl.ping()


# ---- the docker CLI and the berth CLI -----------------------------------------

def test_docker_cli_diff_and_commit(daemon):
    changed(daemon.client, "dc")
    out = daemon.docker("diff", "dc").stdout
    assert out.splitlines() == ["%s %s" % ("CAD"[k], p) for p, k in EXPECTED]
    p = daemon.docker("commit", "-m", "cli msg", "-a", "cli author", "-c", 'CMD ["cat", "/new"]',
                      "-c", "ENV Z=9", "dc", "fromcli:1")
    assert p.stdout.strip().startswith("sha256:")
    assert daemon.docker("run", "--rm", "fromcli:1").stdout == "hi\n"
    a = daemon.client.images.get("fromcli:1").attrs
    assert (a["Comment"], a["Author"]) == ("cli msg", "cli author")
    assert "Z=9" in a["Config"]["Env"]
    # -p=false leaves a running container running, with no pause
    daemon.docker("run", "-d", "--name", "run1", "busybox", "sleep", "300")
    t0 = time.time()
    daemon.docker("commit", "-p=false", "run1", "nopause")
    assert events(daemon.client, t0, container="run1") == [("container", "commit")]
    daemon.docker("rm", "-f", "run1")
    assert "No such container" in daemon.docker("diff", "nope", check=False).stderr


def test_berth_cli_diff_and_commit(bb):
    bb("run", "--name", "bc", "busybox", "sh", "-c", SCRIPT)
    assert bb.out("diff", "bc").splitlines() == ["%s %s" % ("CAD"[k], p) for p, k in EXPECTED]
    assert bb.out("container", "diff", "bc") == bb.out("diff", "bc")
    img = bb.out("commit", "-m", "berth msg", "-a", "berth author", "-c", "CMD cat /new",
                 "-c", "LABEL x=y", "bc", "berthimg:2").strip()
    assert img.startswith("sha256:")
    assert bb.out("run", "--rm", "berthimg:2") == "hi\n"
    a = bb.inspect("berthimg:2")
    assert (a["Comment"], a["Author"], a["Config"]["Labels"]) == ("berth msg", "berth author", {"x": "y"})
    assert a["Config"]["Cmd"] == ["/bin/sh", "-c", "cat /new"]
    again = bb.out("container", "commit", "bc").strip()
    assert bb.inspect(again)["RootFS"] == a["RootFS"]
    p = bb("commit", "nope", check=False)
    assert p.returncode != 0 and "No such container: nope" in p.stderr
    p = bb("commit", "-c", "BOGUS x", "bc", check=False)
    assert p.returncode != 0 and "unknown instruction: BOGUS" in p.stderr
    p = bb("diff", check=False)
    assert p.returncode != 0


def test_dockerpy7_diff_and_commit(daemon, py7):
    r = run_py7(py7, daemon, """
        import docker, json, sys
        cl = docker.DockerClient(base_url=sys.argv[1], timeout=60)
        c = cl.containers.run("busybox", ["sh", "-c", "echo seven > /s; rm /bin/ls"], detach=True)
        c.wait()
        r = {"diff": c.diff()}
        img = c.commit(repository="seven", tag="c", message="m7", changes=["CMD cat /s"])
        r["tags"] = img.tags
        r["out"] = cl.containers.run("seven:c", remove=True).decode()
        r["comment"] = img.attrs["Comment"]
        c.remove()
        print(json.dumps(r))
    """)
    assert r["diff"] == [{"Path": "/bin", "Kind": 0}, {"Path": "/bin/ls", "Kind": 2},
                         {"Path": "/s", "Kind": 1}]
    assert r["tags"] == ["seven:c"] and r["out"] == "seven\n" and r["comment"] == "m7"


def test_docker_cli_history(daemon):
    c = changed(daemon.client)
    c.commit(repository="hist", tag="v1", message="the commit")
    p = daemon.docker("history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Comment}}",
                      "hist:v1")
    lines = p.stdout.splitlines()
    img = daemon.client.images.get("hist:v1")
    assert lines[0] == f"{img.id}|sh -c {SCRIPT}|the commit"
    assert all(line.startswith("<missing>|") for line in lines[1:])
    p = daemon.docker("history", "nosuch", check=False)
    assert p.returncode != 0 and "No such image: nosuch" in p.stderr
