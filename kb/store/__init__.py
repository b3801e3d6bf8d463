"""Store: the KB directory (a git repository of Markdown) and the records derived from it.

Entry point: kb.store.knowledge_base.KnowledgeBase. database.Store writes the SQLite records
(sqlite-utils, lazily) and reads them with the standard library; queries is the read API the CLI
and the TUI use; refs keeps ids stable on every clone; lock serialises writers; sources remembers what
the last ingest saw of each source file; write_guard says whether the KB may be written now (read-only, git
mid-merge, detached HEAD); conflicts finds git's conflict markers in a report; copy_journal undoes copies whose records were never stored; processes makes
worker processes die with their parent. Imports kb.parse.
"""
