"""Secrets never reach git, SQLite or the index: a synthetic corpus ingested and run, then every
stored byte searched for every secret value. False positives stay readable."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import SAMPLES, run_cli
from secret_corpus import DECODED, READABLE, RUN_INPUT, RUNBOOK, SECRETS, reports

from kb.parse.redact import scan


def _fragments(value: str) -> set[str]:
    """The value, and its alphanumeric runs of 8+ characters (the index stores words, lower-cased)."""
    return {value, *[run for run in re.findall(r"[A-Za-z0-9]{8,}", value)]}


def _leaks(haystack: str, values: dict[str, str]) -> list[str]:
    lowered = haystack.lower()
    return sorted(name for name, value in values.items()
                  if any(fragment.lower() in lowered for fragment in _fragments(value)))


def _stored_text(kbdir: Path) -> str:
    """git log -p --all, plus every file of the KB's working tree and of its derived data (SQLite, index)."""
    parts = [subprocess.run(["git", "log", "-p", "--all", "--format=%H%n%B"], cwd=kbdir, capture_output=True,
                            text=True, check=True).stdout]
    for path in kbdir.rglob("*"):
        where = path.relative_to(kbdir).parts
        if path.is_file() and ".git" not in where and where[0] != "runbooks":  # runbooks/: the test's own file
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, text in reports().items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_corpus_holds_at_least_25_kinds_of_secret():
    assert len(SECRETS) >= 25
    placed = "\n".join(reports().values()) + RUNBOOK + RUN_INPUT
    missing = [name for name, value in SECRETS.items() if value not in placed]
    # given with --var, and in a repository's commit
    assert missing == ["run-variable", "commit-message", "run-variable-pw", "run-variable-cred"]


def test_no_secret_reaches_git_sqlite_or_the_index(runner, tmp_path, corpus):
    kbdir = tmp_path / "kb"
    assert run_cli(runner, kbdir, "init").exit_code == 0
    originals = {p.name: p.read_text(encoding="utf-8") for p in corpus.iterdir()}

    ingested = run_cli(runner, kbdir, "ingest", str(corpus))
    assert ingested.exit_code == 0, ingested.output
    lines = [line for line in ingested.output.splitlines() if "secrets redacted" in line]
    assert len(lines) == 5 and all(re.search(r"\.md: \d+ secrets redacted \(lines [\d, .]+\)$", line) for line in lines)

    (kbdir / "runbooks" / "rotate.md").write_text(RUNBOOK, encoding="utf-8")
    ran = run_cli(runner, kbdir, "run", "rotate", "--no-tui", "--operator", "Ann Op <ann@example.com>",
                  "--var", f"DB_PASS={SECRETS['run-variable']}", "--var", f"LOGIN_PW={SECRETS['run-variable-pw']}",
                  "--var", f"DEPLOY_CRED={SECRETS['run-variable-cred']}", input=RUN_INPUT)
    assert "Saved as reports/learned-" in ran.output, ran.output
    assert "Run failed: record runs/" in ran.output

    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / "app.py").write_text("print('hi')\n")
    subprocess.run(["git", "add", "."], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m",
                    f"fix: ECONNREFUSED after rotating aws_access_key_id={SECRETS['commit-message']}"],
                   cwd=project, check=True)
    assert run_cli(runner, kbdir, "ingest", "--repo", str(project)).exit_code == 0
    assert run_cli(runner, kbdir, "search", "password authentication failed for user").exit_code == 0

    stored = _stored_text(kbdir)
    leaks = _leaks(stored, {**SECRETS, **DECODED})
    assert leaks == [], "\n".join(f"{name}: {line}" for name in leaks for line in stored.splitlines()
                                   if any(f.lower() in line.lower() for f in _fragments({**SECRETS, **DECODED}[name])))
    assert "[REDACTED:" in stored
    for name, text in originals.items():  # the originals are never modified
        assert (corpus / name).read_text(encoding="utf-8") == text
    import sqlite3

    with sqlite3.connect(kbdir / ".runbook" / "kb.sqlite") as db:  # the redacted copy, not nothing, was stored
        commands = "\n".join(row[0] for row in db.execute("select command from commands"))
    assert "DB_PASSWORD=[REDACTED:password]" in commands


def test_error_messages_shas_uuids_and_digests_stay_readable(runner, tmp_path, corpus):
    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init")
    run_cli(runner, kbdir, "ingest", str(corpus))
    stored = "\n".join(p.read_text(encoding="utf-8") for p in (kbdir / "reports").iterdir())
    kept = [text for text in READABLE if text in stored]
    assert len(kept) == len(READABLE), sorted(set(READABLE) - set(kept))
    found = run_cli(runner, kbdir, "search", "--json", "InvalidClientTokenId: The security token included in the "
                                                       "request is invalid")
    assert found.exit_code == 0 and "key-rotation.md" in found.output


def test_bundled_samples_and_readable_shapes_have_no_findings():
    for path in sorted(SAMPLES.glob("*.md")):
        assert scan(path.read_text(encoding="utf-8")).findings == [], path.name
    assert scan("\n".join(READABLE)).findings == []


def test_ingest_check_reports_without_ingesting(runner, tmp_path, corpus):
    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init")
    checked = run_cli(runner, kbdir, "ingest", "--check", str(corpus / "leak.md"))
    assert checked.exit_code == 1
    assert re.search(r"leak\.md: \d+ secrets redacted \(lines \d+(, \d+)*\)", checked.output)
    assert not (kbdir / "reports" / "leak.md").exists()
    as_json = json.loads(run_cli(runner, kbdir, "ingest", "--check", "--json", str(corpus)).output)
    assert as_json["checked"] == 5 and sum(entry["secrets"] for entry in as_json["redacted"]) >= 25
    assert all({"line", "kind"} <= set(f) for entry in as_json["redacted"] for f in entry["findings"])
    clean = tmp_path / "clean.md"
    clean.write_text("# Fine\n\n## Error: " + READABLE[5] + "\n", encoding="utf-8")
    assert run_cli(runner, kbdir, "ingest", "--check", str(clean)).exit_code == 0


def test_ingest_json_lists_each_redaction(runner, tmp_path, corpus):
    kbdir = tmp_path / "kb"
    run_cli(runner, kbdir, "init")
    out = json.loads(run_cli(runner, kbdir, "ingest", "--json", str(corpus / "leak.md")).output)
    assert out["ingested"] == ["reports/leak.md"]
    (entry,) = out["redacted"]
    kinds = {f["kind"] for f in entry["findings"]}
    assert {"url-password", "github-token", "aws-access-key", "stripe-key", "slack-token"} <= kinds
    text = (kbdir / "reports" / "leak.md").read_text(encoding="utf-8")
    assert text.count("\n") == reports()["leak.md"].count("\n")  # line numbers still match the original


def test_a_report_dropped_into_reports_is_redacted_in_place_before_commit(kb):
    from kb.ingest import ingest

    inside = kb.reports_dir / "inside.md"
    inside.write_text(f"# Inside\n\nDB_PASSWORD={SECRETS['dotenv-password']}\n", encoding="utf-8")
    ingest(kb, [inside])
    assert SECRETS["dotenv-password"] not in inside.read_text(encoding="utf-8")
    assert SECRETS["dotenv-password"] not in kb.repo.git.log("-p", "--all")


_MARKER = re.compile(r"\[REDACTED:[a-z0-9\-]+\]")
_PEM_ARMOUR = re.compile(r"^\s*-----(?:BEGIN|END) [A-Z ]*PRIVATE KEY-----\s*$")


def _hidden_stretches(original: str, redacted: str) -> list[str] | None:
    """What each `[REDACTED:kind]` stands for, line by line; None if any other character of the line differs.

    A marker ending a line may stand for a secret that goes on over the next lines (a PEM block, a wrapped
    token, a `--password \\` continued): those lines are left empty, and their text counts as hidden."""
    hidden: list[str] = []
    spilling = False
    for before, after in zip(original.split("\n"), redacted.split("\n"), strict=True):
        if not _MARKER.search(after):
            if after == before:
                spilling = False
                continue
            if spilling and after.strip() == "":
                hidden.append(before.strip())
                continue
            return None
        parts = _MARKER.split(after)
        match = re.fullmatch("(.+?)".join(re.escape(part) for part in parts), before)
        if match is None:
            return None
        hidden += match.groups()
        spilling = after.rstrip().endswith("]")
    return hidden


def test_no_line_of_a_redacted_report_is_mangled():
    """Only secrets are replaced: every stretch a marker stands for is (part of) a secret of the corpus, and
    the rest of every line is kept exactly, URL-encoded passwords included."""
    from secret_corpus import PEM_BODY, SA_KEY_BODY

    values = [*SECRETS.values(), *DECODED.values(), *PEM_BODY, SA_KEY_BODY]
    for name, text in reports().items():
        hidden = _hidden_stretches(text, scan(text).text)
        assert hidden, name
        for stretch in hidden:
            assert _PEM_ARMOUR.match(stretch) or any(
                value in stretch or len(stretch) >= 6 and stretch.strip("\\ ") in value for value in values), (name, stretch)
    url = "DATABASE_URL=postgresql://app:p%40ss%2Fabc123xyz%23@db.internal/app?sslmode=require"
    assert scan(url).text == "DATABASE_URL=postgresql://app:[REDACTED:url-password]@db.internal/app?sslmode=require"


def test_secret_variable_names_are_masked_and_never_recorded():
    from kb.parse.redact import is_secret_name
    from kb.parse.variables import find_variables

    secret = ["LOGIN_PW", "PW", "DB_PWD", "PWD_HASH", "SMTP_PASS", "PASSPHRASE_FILE", "KEY_PASSPHRASE", "API_AUTH",
              "AUTH_HEADER", "DEPLOY_CRED", "CREDENTIALS", "GH_TOKEN", "CLIENT_SECRET", "API_KEY", "KEY"]
    plain = ["AUTHOR", "PORT", "SERVICE", "HOST", "KEYBOARD_LAYOUT", "PWRITE_SIZE", "REGION"]
    assert [name for name in secret if not is_secret_name(name)] == []
    assert [name for name in plain if is_secret_name(name)] == []
    found = find_variables([f"echo ${name}" for name in secret + plain])
    assert sorted(v.name for v in found if v.secret) == sorted(secret)
