"""Ranking rules that hold for a shape of paste or report in general (issue 18), each on reports of our
own written in that shape, ingested and searched for real: a C-library error text is one thing said,
an error that only says a command ended badly is read with what the command printed before it, a
passage that holds a card's cause lifts that card, and what the search found beside a card is shown
with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.ingest import ingest
from kb.search.ranking import Searcher
from kb.store.knowledge_base import KnowledgeBase


def _searcher(tmp_path: Path, reports: dict[str, str]) -> tuple[KnowledgeBase, Searcher]:
    folder = tmp_path / "reports"
    folder.mkdir()
    for name, text in reports.items():
        (folder / name).write_text(text, encoding="utf-8")
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    assert not ingest(knowledge, [folder]).failed
    return knowledge, Searcher(knowledge)


def _card(title: str, log: str, cause: str, fix: str) -> str:
    return f"# {title}\n\n## Error\n\n```\n{log}\n```\n\n## Root cause\n\n{cause}\n\n## Fix\n\n{fix}\n"


def _where(results) -> list[tuple[str, str, str]]:
    return [(Path(r.report["path"]).name, r.kind, r.message[:60]) for r in results]


@pytest.fixture
def searcher(tmp_path):
    opened: list[tuple[KnowledgeBase, Searcher]] = []

    def make(reports: dict[str, str]) -> Searcher:
        opened.append(_searcher(tmp_path, reports))
        return opened[-1][1]

    yield make
    for knowledge, handle in opened:
        handle.close()
        knowledge.close()


MISSING_FILES = {  # the same C-library text after three other files, and the script a paste names
    "ledger-rules.md": _card("Ledger sync cannot read its rules", "open /etc/ledger/rules.yaml: no such file or directory",
                             "The rules file moved to the shared config volume in the last chart version.",
                             "Mount the shared config volume at /etc/ledger again and restart the sync."),
    "static-copy.md": _card("Static copy step fails", "cp: cannot stat 'dist/index.html': No such file or directory",
                            "The copy ran before the bundler wrote its output.",
                            "Run the bundle target first; the copy step now depends on it."),
    "manage-py.md": _card("Admin container exits at start", "python: can't open file '/srv/admin/manage.py': "
                          "[Errno 2] No such file or directory",
                          "The image's working directory changed when the base image did.",
                          "Set WORKDIR /srv/admin/src in the Dockerfile."),
    "publish-assets.md": _card("Release job stops before uploading assets",
                               "sh: 1: ./scripts/publish-assets.sh: not found",
                               "The release job runs from the repository root, and publish-assets.sh lives under tools/.",
                               "Call tools/publish-assets.sh from the release job (rootDir is the repository root)."),
}


def test_a_c_library_error_text_is_one_thing_said_and_the_file_before_it_tells_the_errors_apart(searcher):
    """`X: No such file or directory` read word by word is four things every missing-file error says;
    read as one (weighted by its rarest word), the file it follows decides which report answers."""
    search = searcher(MISSING_FILES)
    results = search.search("==> Running release command\nbash: line 1: ./scripts/publish-assets.sh: "
                            "No such file or directory\n==> Release failed", k=3).results
    assert results and Path(results[0].report["path"]).name == "publish-assets.md", _where(results)


WRAPPED = {  # errors that only say a command ended badly, and the report about what it printed before
    "pages-theme.md": "# Pages build stops on a missing theme stylesheet\n\n## Symptom\n\nThe build prints\n\n"
                      "```\nNo stylesheet for theme midnight under themes/\n```\n\nand then exits.\n\n"
                      "## Root cause\n\nThe midnight theme was renamed to night in the design repository.\n\n"
                      "## Fix\n\nSet SITE_THEME=night in the build environment.\n",
    "node-version.md": _card("Build job fails on the old runner image", 'Error: Command "npm run export" exited with 1',
                             "The runner image still had Node 16 and the bundler needs 18.",
                             "Pin the runner image to node:18 in the pipeline file."),
    "lint-step.md": _card("Pipeline fails at the lint step", "Error: Process completed with exit code 1.",
                          "A new lint rule flagged every generated file.",
                          "Exclude the generated folder from the linter's paths."),
}


def test_an_error_that_only_says_a_command_failed_is_read_with_what_the_command_printed_before_it(searcher):
    """`Command "npm run build" exited with 1` is every failed build; the lines above it say which."""
    search = searcher(WRAPPED)
    results = search.search('Running "build": render-pages --theme midnight\nLoaded 14 pages from content/\n'
                            "No stylesheet for theme midnight under themes/\n"
                            'Error: Command "npm run build" exited with 1', k=3).results
    assert results and Path(results[0].report["path"]).name == "pages-theme.md", _where(results)


MANY_ERRORS = """# Post-mortem: the nightly export, the report mailer and the archive job all stopped

## Summary

Three things broke the same night; each is written up below.

## Timeline

| Time | Event |
|------|-------|
| 01:10 | Exporter stops writing chunks (X1) |
| 02:00 | First digest mails fail to render (X2) |
| 03:30 | Archive job times out (X3) |

## Root cause

Three problems, one night.

**X1 – exporter out of disk.** The exporter writes its parquet chunks to the scratch volume, which filled
up after the retention job was disabled during the storage migration.

**X2 – mailer template cache stale.** The mailer kept the compiled templates of the previous release in
its cache directory, so every digest referenced a field the new schema had dropped.

**X3 – archive bucket policy.** The archive job's role lost write access when the bucket policy was
rewritten for the new account layout.

## What we changed

| Error | Change | Commit |
|-------|--------|--------|
| X1 | Retention job enabled again; scratch volume alert at 80% | `4e1a2b3` |
| X2 | Template cache cleared on every deploy | `9c8d7e6` |
| X3 | Archive role added back to the bucket policy | `1f2e3d4` |

**Freeing the scratch volume (X1).** Delete chunks older than seven days, then start the exporter again.

**Clearing the template cache (X2).** The deploy hook now empties the cache folder before the mailer starts:

```bash
rm -rf /var/cache/mailer/templates/*
systemctl restart mailer
```

**Restoring archive access (X3).** Re-apply the bucket policy from the infrastructure repository.

## Appendix: error logs

### X1: exporter

```
exporter: write chunk 0042: no space left on device
```

### X2: mailer

```
TemplateError: digest.html: unknown field 'region_code'
```

### X3: archive

```
archive: PutObject denied for role nightly-archive
```
"""


def test_a_passage_holding_a_cards_cause_lifts_that_card_instead_of_standing_above_it(searcher):
    """One root-cause section holds the causes of three error cards. A paraphrase of one cause answers with
    the card whose cause it is (its message, its fix), not with the section as a loose passage."""
    search = searcher({"nightly.md": MANY_ERRORS})
    results = search.search("the exporter filled its scratch volume once the retention job was switched off "
                            "for the storage migration", k=3).results
    assert results and results[0].kind == "error" and "write chunk" in results[0].message, _where(results)
    assert "Retention job enabled again" in results[0].fix


PORT_NOTES = """# Two evenings with the local dev stack

## Problem 1: dev server will not start

```
Error: listen EADDRINUSE: address already in use :::4321
```

A second dev server from another terminal still held the port. Stopping it was enough that evening.

## Problem 2: mock API answers with stale fixtures

The mock server kept fixtures from the previous branch in its tmp folder; clearing it fixed the answers.

## Habits we agreed on

- Start the mock server with a fresh tmp folder on every branch switch.
- EADDRINUSE on 4321 means a forgotten server: `npx kill-port 4321`, then start with `--strictPort`
  so the dev server never silently moves to another port.
"""


def test_a_passage_the_search_found_beside_a_card_of_its_report_is_shown_with_the_card(searcher):
    """The card answers; a section of its report that holds the paste too (a fix written elsewhere in the
    report) is shown with it, marked as found, rather than dropped."""
    search = searcher({"dev-port.md": PORT_NOTES})
    results = search.search("Error: listen EADDRINUSE: address already in use :::4321", k=3).results
    assert results and results[0].kind == "error", _where(results)
    found = [p for p in results[0].passages if p.get("found")]
    assert any("--strictPort" in p["text"] for p in found), results[0].passages
