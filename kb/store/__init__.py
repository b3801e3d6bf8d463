"""Store: the KB directory (a git repository of Markdown) and the records derived from it.

Entry point: kb.store.knowledge_base.KnowledgeBase. database.Store writes the SQLite records
(sqlite-utils, lazily) and reads them with the standard library; queries is the read API the CLI
and the TUI use; refs keeps ids stable on every clone; lock serialises writers; sources remembers what
the last ingest saw of each source file. Imports kb.parse.
"""
