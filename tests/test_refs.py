"""Stable references: every id a user sees (r3, e12, c5, f6) names the same record after `reindex`,
after a re-ingest in another order, on another clone after `git pull` + `reindex`."""

from __future__ import annotations

import shutil
import subprocess

import git

from conftest import SAMPLES, run_cli
from kb.ingest import ingest, rebuild
from kb.store.knowledge_base import KnowledgeBase


def _identities(kb: KnowledgeBase) -> dict[str, tuple]:
    """ref -> what the record is (its source and its text), for every record a user can name."""
    rows = kb.store.rows
    out = {f"r{r['id']}": (r["path"], r["title"]) for r in rows("select id, path, title from reports")}
    for prefix, table, text in (("e", "errors", "message"), ("c", "checklists", "title"),
                                ("f", "flowcharts", "nodes")):
        for row in rows(f"select t.id, r.path, t.position, t.{text} as text from {table} t "
                        f"join reports r on r.id = t.report_id"):
            out[f"{prefix}{row['id']}"] = (row["path"], row["position"], row["text"])
    return out


def _identify(kb: KnowledgeBase) -> None:
    for key, value in (("name", "Ann Op"), ("email", "ann@example.com")):
        kb.repo.config_writer().set_value("user", key, value).release()


def test_refs_survive_reindex_and_a_reingest_in_another_order(kb, tmp_path):
    files = sorted(SAMPLES.glob("*.md"))
    ingest(kb, files[len(files) // 2:])  # the later names first: their ids are the low ones
    ingest(kb, files[: len(files) // 2])
    before = _identities(kb)
    assert any(ref.startswith("f") for ref in before) and any(ref.startswith("c") for ref in before)

    rebuild(kb)
    assert _identities(kb) == before

    # another clone: no derived data; its reports ingested one at a time in reverse order
    clone = tmp_path / "clone"
    git.Repo.clone_from(str(kb.root), str(clone))
    other = KnowledgeBase(clone)
    for report in sorted((clone / "reports").glob("*.md"), reverse=True):
        ingest(other, [report])
    assert _identities(other) == before
    other.close()

    # and a plain reindex there (the `git pull` + `reindex` path), through the CLI
    shutil.rmtree(clone / ".runbook")
    from click.testing import CliRunner

    assert run_cli(CliRunner(), clone, "reindex").exit_code == 0
    assert _identities(KnowledgeBase(clone)) == before


def test_show_by_ref_is_the_same_record_on_a_pulled_clone(runner, kb, tmp_path):
    ingest(kb, [SAMPLES])
    clone = tmp_path / "clone"
    git.Repo.clone_from(str(kb.root), str(clone))
    run_cli(runner, clone, "reindex")
    for ref in ("r3", "e7", "c4", "f2"):
        here = run_cli(runner, kb.root, "show", ref, "--json")
        there = run_cli(runner, clone, "show", ref, "--json")
        assert here.exit_code == 0, here.output
        assert _content(here.output) == _content(there.output), ref


def _content(output: str) -> dict:
    """A record as JSON, less what differs between machines by nature (where and when it was ingested)."""
    import json

    record = json.loads(output)
    for key in ("ingested_at", "origin"):
        record.pop(key, None)
    return record


def test_two_clones_ingesting_at_once_agree_after_pull_and_reindex(kb, tmp_path):
    files = sorted(SAMPLES.glob("*.md"))
    ingest(kb, files[:3])
    clone = tmp_path / "clone"
    git.Repo.clone_from(str(kb.root), str(clone))
    other = KnowledgeBase(clone)
    _identify(kb)
    _identify(other)
    ingest(kb, files[3:6])  # both clones number new records from the same next id
    ingest(other, files[6:])
    kb.close()
    other.close()
    pulled = subprocess.run(["git", "pull", "--no-rebase", "--no-edit", str(kb.root)], cwd=clone,
                            capture_output=True, text=True)
    assert pulled.returncode == 0, pulled.stderr  # refs.tsv merges as a union: no conflict
    subprocess.run(["git", "pull", "--no-rebase", "--no-edit", str(clone)], cwd=kb.root, check=True,
                   capture_output=True)
    rebuild(kb)
    rebuild(other)
    mine, theirs = _identities(kb), _identities(other)
    assert mine == theirs
    assert len({ref for ref in mine}) == len(mine)  # one record per ref
    assert {value[0] for value in mine.values()} == {f"reports/{f.name}" for f in files}
    kb.close()
    other.close()


def test_an_older_kb_without_refs_keeps_the_ids_it_shows(kb):
    ingest(kb, [SAMPLES])
    before = _identities(kb)
    (kb.root / "refs.tsv").unlink()
    kb.commit(["refs.tsv"], "drop refs")
    kb.close()
    reopened = KnowledgeBase(kb.root)
    extra = reopened.reports_dir / "extra.md"
    extra.write_text("# Extra\n\n## Error: boom\n\n```\nboom: it broke\n```\n", encoding="utf-8")
    ingest(reopened, [extra])
    after = _identities(reopened)
    assert {ref: after[ref] for ref in before} == before
    assert (kb.root / "refs.tsv").exists()
    reopened.close()


def test_new_records_are_appended_to_refs_tsv_and_a_line_cut_short_is_ignored(kb, tmp_path):
    """Adding reports writes only their lines (the file is not rewritten: its earlier lines stay byte for
    byte), and a last line an interrupted append left without its newline is not read as a record."""
    from kb.ingest import ingest

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    (first / "one.md").write_text("# One\n\n## Error: boom\n\n**Error log**:\n```\nValueError: boom one\n```\n\n"
                                  "**Fix**: stop the boom.\n", encoding="utf-8")
    (second / "two.md").write_text("# Two\n\n## Error: bang\n\n**Error log**:\n```\nKeyError: bang two\n```\n\n"
                                   "**Fix**: catch the bang.\n", encoding="utf-8")
    ingest(kb, [first])
    refs = kb.root / "refs.tsv"
    before = refs.read_text(encoding="utf-8")
    ingest(kb, [second])
    after = refs.read_text(encoding="utf-8")
    assert after.startswith(before) and "reports/two.md" in after[len(before):]
    assert "reports/one.md" not in after[len(before):]
    ids = {line.split("\t")[2] + line.split("\t")[0]: line.split("\t")[1] for line in after.splitlines()[1:]}
    refs.write_text(after + "e\t99\treports/three.md\t0", encoding="utf-8")  # an append cut short
    from kb.store.refs import RefMap

    reread = RefMap(kb.root)
    reread.load()
    assert reread.number("e", "reports/two.md", 0) == int(ids["reports/two.mde"])
    assert not reread.changed
    assert reread.number("e", "reports/three.md", 0) != 99  # the line cut short named no record


def _one_error_report(folder, name: str, message: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.md").write_text(f"# {name}\n\n## Error: {name}\n\n**Error log**:\n```\n{message}\n```\n\n"
                                       f"**Fix**: undo {name}.\n", encoding="utf-8")


def test_a_number_claimed_in_a_pulled_refs_tsv_is_never_handed_out_again(kb, tmp_path):
    """The database keeps a copy of the numbers so that adding reports need not read refs.tsv whole; a
    file changed outside this KB's own ingest (a pull that brought another clone's lines) must win over
    that copy: a new record gets a number above the ones the pulled lines claim."""
    _one_error_report(tmp_path / "a", "one", "ValueError: boom one")
    ingest(kb, [tmp_path / "a"])
    refs = kb.root / "refs.tsv"
    highest = max(int(line.split("\t")[1]) for line in refs.read_text().splitlines()[1:] if line.startswith("e\t"))
    with refs.open("a", encoding="utf-8") as out:  # what a union merge of a teammate's ingest appends
        out.write(f"e\t{highest + 5}\treports/theirs.md\t0\nr\t40\treports/theirs.md\t0\n")
    _one_error_report(tmp_path / "b", "two", "KeyError: bang two")
    ingest(kb, [tmp_path / "b"])
    mine = kb.store.rows("select e.id from errors e join reports r on r.id = e.report_id where r.path = 'reports/two.md'")
    assert [row["id"] for row in mine] == [highest + 6]
    assert kb.store.rows("select id from reports where path = 'reports/two.md'")[0]["id"] == 41


def test_the_databases_copy_of_the_numbers_is_the_file_settled(kb, tmp_path):
    """After ingests that append (the copy is extended, not re-read), the copy holds exactly what reading
    refs.tsv whole gives; a reindex on a clone without the database gives every record the same number."""
    from kb.store.refs import _lines, _settle, _stamp

    for index, name in enumerate(("one", "two", "three")):
        _one_error_report(tmp_path / name, name, f"ValueError: boom {index}")
        ingest(kb, [tmp_path / name])
    for index, name in enumerate(("four", "five")):  # as `runbook ingest` does: a process that loads the copy
        _one_error_report(tmp_path / name, name, f"KeyError: bang {index}")
        fresh = KnowledgeBase(kb.root)
        ingest(fresh, [tmp_path / name])
        fresh.close()
    copy = {(row["kind"], row["path"], row["position"]): row["number"]
            for row in kb.store.rows("select * from ref_numbers")}
    assert copy == _settle(list(_lines(kb.root / "refs.tsv")))
    assert len(copy) == 10
    # its stamp, carried over each append without reading the file again, is the file's as it is now
    stamped = kb.store.rows("select value from kb_state where key = 'refs_stamp'")[0]["value"]
    assert stamped == _stamp(kb.root / "refs.tsv")
    before = _identities(kb)
    clone = tmp_path / "clone"
    git.Repo.clone_from(str(kb.root), str(clone))
    other = KnowledgeBase(clone)
    rebuild(other)
    assert _identities(other) == before
    other.close()


def test_a_stamp_in_the_earlier_form_is_still_trusted_and_written_in_this_one(kb, tmp_path):
    """KBs stamped before (size and BLAKE2b) keep their copy of the numbers: the first load checks the
    older stamp, writes the new one, and looks numbers up instead of reading 370,000 lines; a wrong
    older stamp is not trusted."""
    import hashlib
    import sqlite3

    from kb.store.refs import RefMap, _stamp

    _one_error_report(tmp_path / "a", "one", "ValueError: boom one")
    ingest(kb, [tmp_path / "a"])
    kb.close()
    data = (kb.root / "refs.tsv").read_bytes()
    older = f"{len(data)}:{hashlib.blake2b(data, digest_size=16).hexdigest()}"
    for stamp, trusted in ((older, True), (older[:-4] + "0000", False)):
        with sqlite3.connect(kb.db_path) as connection:
            connection.execute("update kb_state set value = ? where key = 'refs_stamp'", [stamp])
        connection = sqlite3.connect(kb.db_path)
        refs = RefMap(kb.root)
        refs.load(cache=connection)
        written = connection.execute("select value from kb_state where key = 'refs_stamp'").fetchone()[0]
        connection.close()
        assert refs._lazy is trusted  # untrusted: read whole, and the copy made again
        assert written == _stamp(kb.root / "refs.tsv")
