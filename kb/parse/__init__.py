"""Parse: a report's Markdown text in, a ParsedReport (kb.parse.model) out.

Entry point: kb.parse.report.parse_report. Pure functions over text: no files beyond reading one
(decode), no SQLite, no Whoosh, no git. Everything else in kb imports from here; this room imports
nothing else of kb. Secret redaction and fingerprints live here too because they are text in, text
out, and both ingest (store) and runs need them.
"""
