"""``playbook batch``: failure isolation, bad arguments, skip-unchanged, the portfolio page
and parallel clients, on tiny clients that run the intake notebook only.
"""

import json
import re
import time
from pathlib import Path

from conftest import run_cli, write_tiny_client

from playbook.params import client_slug
from playbook.running.batch import HASH_FILE

INTAKE_ONLY = {"notebooks": ["00_intake.ipynb"]}


def _client(folder: Path, name: str, language: str = "ru") -> Path:
    return write_tiny_client(folder, language=language, extra={
        "client": {"name": name, "language": language, "currency": "RUB"},
        "run": INTAKE_ONLY})


def test_one_client_failing_never_stops_the_others(tmp_path):
    good = _client(tmp_path / "good", "Good Client")
    broken = _client(tmp_path / "broken", "Broken Client")
    (broken.parent / "tx.csv").write_bytes(b"\x00\x01 not a table at all\n")
    bad_params = tmp_path / "bad" / "params.yaml"
    bad_params.parent.mkdir()
    bad_params.write_text("client:\n  nmae: Typo\n", encoding="utf-8")
    other_bad = tmp_path / "bad2" / "params.yaml"  # another file of the same name
    other_bad.parent.mkdir()
    other_bad.write_text("client: [not, a, mapping]\n", encoding="utf-8")
    out = tmp_path / "batch"
    result = run_cli("batch", str(good), str(broken), str(bad_params), str(other_bad),
                     "--out", str(out))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["client", "status"]
    good_row = next(line for line in lines if line.startswith("good-client"))
    assert " done " in good_row and good_row.endswith("report.html")
    assert Path(good_row.split()[-1]).is_file()
    broken_row = next(line for line in lines if line.startswith("broken-client"))
    assert "bad data" in broken_row or "failed" in broken_row
    assert "tx.csv" in broken_row  # the child's reason, not a traceback
    bad_rows = [line for line in lines if "bad parameters" in line]
    assert len(bad_rows) == 2 and "nmae" in bad_rows[0] and "bad2" in bad_rows[1]
    assert "Traceback" not in result.stderr + result.stdout
    assert "4/4 clients done" in result.stderr
    assert f"running: {client_slug('Good Client')}" in result.stderr


def test_bad_batch_arguments_exit_2_with_a_clear_message(tmp_path):
    good = _client(tmp_path / "good", "Good Client")
    twin = _client(tmp_path / "twin", "Good Client")
    cases = [
        ((str(good), str(tmp_path / "nowhere.yaml")), "No parameters file at"),
        ((str(good), str(good)), "same client"),
        ((str(good), str(twin)), "same client"),
        ((str(good), "--workers", "0"), "--workers 0"),
    ]
    for args, message in cases:
        result = run_cli("batch", *args, "--out", str(tmp_path / "batch"))
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert not (tmp_path / "batch" / "index.html").exists()


def test_skip_unchanged_skips_until_a_data_file_changes(tmp_path):
    params = _client(tmp_path / "c", "Same Client")
    out = tmp_path / "batch"
    first = run_cli("batch", str(params), "--out", str(out), "--skip-unchanged")
    assert first.returncode == 0, first.stderr
    folder = out / client_slug("Same Client")
    latest = folder / "latest"
    assert (latest / HASH_FILE).is_file()
    second = run_cli("batch", str(params), "--out", str(out), "--skip-unchanged")
    assert second.returncode == 0, second.stderr
    row = second.stdout.splitlines()[1]
    assert "unchanged" in row and row.endswith("report.html") and Path(row.split()[-1]).is_file()
    data = params.parent / "tx.csv"
    data.write_bytes(data.read_bytes() + "15.03.2025;К-3;X;1 000,00\r\n".encode("cp1251"))
    third = run_cli("batch", str(params), "--out", str(out), "--skip-unchanged")
    assert third.returncode == 0, third.stderr
    assert " done " in third.stdout.splitlines()[1]
    assert len([p for p in folder.iterdir() if p.name != "latest"]) == 2


def test_portfolio_page_lists_each_client_escaped_offline_and_linked(tmp_path):
    hostile = '<script>alert("x")</script> & Co'
    clients = [_client(tmp_path / "a", hostile, "en"), _client(tmp_path / "b", "Plain Client")]
    out = tmp_path / "batch"
    result = run_cli("batch", *map(str, clients), "--out", str(out), "--lang", "en",
                     "--workers", "2")
    assert result.returncode == 0, result.stderr
    page = (out / "index.html").read_text("utf-8")
    assert "Client portfolio" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert "Plain Client" in page
    assert "<script" not in page.lower()
    assert not re.search(r"https?://", page)
    links = re.findall(r'href="([^"]+)"', page)
    assert len(links) == 2
    for link in links:
        assert not link.startswith(("/", "http")) and (out / link).is_file()
    rows = json.loads((out / "portfolio.json").read_text("utf-8"))
    assert [row["client"] for row in rows] == [hostile, "Plain Client"]
    assert all(row["customers"] == 3 for row in rows)
    assert (out / "portfolio.csv").read_bytes().startswith(b"\xef\xbb\xbfclient;status")
    import openpyxl

    sheet = openpyxl.load_workbook(out / "portfolio.xlsx").active
    assert sheet["A2"].value == hostile and sheet["B2"].value == "done"


def test_two_workers_run_two_clients_at_the_same_time(tmp_path):
    clients = [_client(tmp_path / f"c{n}", f"Client {n}") for n in (1, 2)]
    started = time.monotonic()
    result = run_cli("batch", *map(str, clients), "--out", str(tmp_path / "batch"),
                     "--workers", "2")
    assert result.returncode == 0, result.stderr
    both = {client_slug("Client 1"), client_slug("Client 2")}
    running = [set(line.split("running: ")[1].split(", "))
               for line in result.stderr.splitlines() if "running: " in line]
    assert both in running  # both children at the same time
    assert result.stdout.count(" done ") == 2
    assert time.monotonic() - started < 600


def test_parallel_clients_share_the_cores_between_their_notebooks(tmp_path, monkeypatch):
    """Two clients at once on 4 cores run 2 notebooks each, not 4 each; one client, or a
    consultant's own PLAYBOOK_CONCURRENCY, leaves the runner to decide."""
    from types import SimpleNamespace

    from playbook.running import batch
    from playbook.running.batch import ClientRun, notebooks_per_client, run_one

    monkeypatch.delenv("PLAYBOOK_CONCURRENCY", raising=False)
    monkeypatch.setattr(batch, "usable_cpus", lambda: 4)
    assert [notebooks_per_client(w) for w in (1, 2, 3, 8)] == [None, 2, 1, 1]
    monkeypatch.setenv("PLAYBOOK_CONCURRENCY", "3")
    assert notebooks_per_client(2) is None

    seen = []

    def child(command, **kwargs):
        seen.append(kwargs["env"])
        return SimpleNamespace(returncode=1, stdout="", stderr="boom")

    monkeypatch.setattr(batch.subprocess, "run", child)
    client = ClientRun(tmp_path / "a.yaml", "a", "A")
    run_one(client, tmp_path, 2)
    run_one(client, tmp_path)
    assert seen[0]["PLAYBOOK_CONCURRENCY"] == "2" and seen[1] is None
    assert client.status == "failed"
