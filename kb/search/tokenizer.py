"""The index's tokenizer: kb/search/analysis.py's terms, as a Whoosh tokenizer.

Kept apart from analysis.py so that reading a query (analysis) never imports Whoosh; only writing
the index does. Importable by name, so a stored schema can unpickle it.
"""

from __future__ import annotations

import kb.search.whoosh_import  # noqa: F401  (first: Whoosh without its unused urllib/asyncio imports)
from whoosh.analysis import Token, Tokenizer

from kb.search.analysis import RUN_RE as _RUN_RE, _run_term_list, iter_terms


class KBTokenizer(Tokenizer):
    """Whoosh tokenizer over iter_terms (importable, so a stored schema can unpickle it)."""

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True, start_pos=0,
                 start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        if not positions and not chars:  # the index's case (phrase=False): each distinct run analysed once
            for run in _RUN_RE.findall(value):
                for term in _run_term_list(run):
                    token.text = term
                    token.boost = 1.0
                    token.stopped = False
                    if keeporiginal:
                        token.original = term
                    yield token
            return
        for pos, (term, start, end) in enumerate(iter_terms(value)):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = term
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar, token.endchar = start_char + start, start_char + end
            yield token


def analyzer():
    return KBTokenizer()
