"""The runbook CLI as an operator uses it: CliRunner on real KBs, exit codes and one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import ROOT, SAMPLES, run_cli
from runbook.cli import cli


def test_init_creates_a_git_kb_with_source_folders(runner, tmp_path):
    result = run_cli(runner, tmp_path / "kb", "init")
    assert result.exit_code == 0 and "Created KB" in result.output
    for name in ("reports", "runbooks", "runs", ".git"):
        assert (tmp_path / "kb" / name).is_dir()
    assert ".runbook/" in (tmp_path / "kb" / ".gitignore").read_text()


def test_ingest_summary_and_exit_codes(runner, tmp_path):
    run_cli(runner, tmp_path / "kb", "init")
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"")
    result = run_cli(runner, tmp_path / "kb", "ingest", str(SAMPLES), str(bad))
    assert result.exit_code == 1
    assert re.search(r"^ingested \d+, unchanged 0, failed 1$", result.stdout, re.M)
    assert "bad.md: empty file" in result.stderr
    again = run_cli(runner, tmp_path / "kb", "ingest", str(SAMPLES))
    assert again.exit_code == 0 and again.stdout.strip().startswith("ingested 0, unchanged ")


def test_list_and_show_as_json(runner, tmp_path):
    run_cli(runner, tmp_path / "kb", "init")
    run_cli(runner, tmp_path / "kb", "ingest", str(SAMPLES))
    reports = json.loads(run_cli(runner, tmp_path / "kb", "list", "--json").stdout)
    assert len(reports) == len(list(SAMPLES.glob("*.md")))
    errors = json.loads(run_cli(runner, tmp_path / "kb", "list", "errors", "--json").stdout)
    assert errors and all(e["ref"].startswith("e") for e in errors)
    checklists = json.loads(run_cli(runner, tmp_path / "kb", "list", "checklists", "--json").stdout)
    assert checklists
    error = json.loads(run_cli(runner, tmp_path / "kb", "show", errors[0]["ref"], "--json").stdout)
    assert error["message"] == errors[0]["message"] and "report" in error and "commits" in error
    report = json.loads(run_cli(runner, tmp_path / "kb", "show", reports[0]["path"], "--json").stdout)
    assert report["errors"] and report["title"] == reports[0]["title"]
    text = run_cli(runner, tmp_path / "kb", "show", checklists[0]["ref"]).stdout
    assert checklists[0]["title"] in text


def test_bad_ids_and_missing_kbs_are_one_line_errors(runner, tmp_path):
    run_cli(runner, tmp_path / "kb", "init")
    for args in (("show", "e999"), ("show", "nonsense"), ("list", "--json")):
        result = run_cli(runner, tmp_path / "kb", *args)
        if args[0] == "list":
            assert result.exit_code == 0 and json.loads(result.stdout) == []
            continue
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    missing = run_cli(runner, tmp_path / "nowhere", "list")
    assert missing.exit_code == 1 and "runbook init" in missing.stderr and "Traceback" not in missing.output


def test_default_kb_is_created_with_the_samples_on_first_use(tmp_path):
    """A fresh user (no --kb, no RUNBOOK_KB) gets the bundled samples at once; a real subprocess."""
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "runbook.cli", "list", "--json"], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "Setting up the default KB" in done.stderr
    assert len(json.loads(done.stdout)) == len(list(SAMPLES.glob("*.md")))


def test_every_command_has_help_and_is_documented_in_readme(runner):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and command.get_short_help_str()
        assert f"runbook {name}" in readme, f"README does not document `runbook {name}`"


def test_an_undecodable_runbook_file_is_a_one_line_error(runner, tmp_path):
    run_cli(runner, tmp_path / "kb", "init")
    (tmp_path / "kb" / "runbooks" / "broken.md").write_bytes(b"\xff\xfe\x00bad\x81")
    result = run_cli(runner, tmp_path / "kb", "run", "broken", "--dry-run")
    assert result.exit_code == 1 and "broken.md" in result.stderr and result.stderr.count("\n") == 1


def test_a_damaged_database_says_what_to_do_and_reindex_rebuilds_it(runner, tmp_path):
    run_cli(runner, tmp_path / "kb", "init")
    run_cli(runner, tmp_path / "kb", "ingest", str(SAMPLES))
    (tmp_path / "kb" / ".runbook" / "kb.sqlite").write_bytes(b"not a database at all" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / "kb" / ".runbook" / f"kb.sqlite{suffix}").unlink(missing_ok=True)
    broken = run_cli(runner, tmp_path / "kb", "list")
    assert broken.exit_code == 1 and "damaged" in broken.stderr and "reindex" in broken.stderr
    assert run_cli(runner, tmp_path / "kb", "reindex").exit_code == 0
    reports = json.loads(run_cli(runner, tmp_path / "kb", "list", "--json").stdout)
    assert len(reports) == len(list(SAMPLES.glob("*.md")))  # nothing lost: rebuilt from the sources
