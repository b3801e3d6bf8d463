"""Search: a pasted error in, ranked known fixes out.

Entry point: kb.search.ranking.Searcher (and ranking.search). analysis is the bilingual analyzer,
glossary the ops vocabulary across English and Chinese, index builds and reads the Whoosh index
under .runbook/. Imports kb.store and kb.parse; never the runs room.
"""
