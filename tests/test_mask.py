"""mask skips a pattern's scan when the text cannot hold a match of it (kb/parse/normalize.py): what it
makes must be what scanning every pattern makes, or fingerprints and stored signatures would change.
Texts are built from the pieces the patterns are about, alone and side by side, so a test of the wrong
character (a timestamp guarded by `-` where it needs `:`) shows up as a difference."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.parse.normalize import mask, mask_scanning_all, signature

ASSETS = Path(__file__).resolve().parents[1] / "assets"

_digits = st.integers(min_value=0, max_value=99999).map(str)
_hex = st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=14)
_word = st.sampled_from(["error", "pid", "PID", "Process", "worker", "thread", "tid", "Jan", "Dec", "host",
                         "api.example.com", "db.internal", "proc", "ſid", "K", "0x", "E11000", "ERR_2"])
_piece = st.one_of(
    st.builds(lambda y, m, d, sep, t: f"{y:04d}{sep}{m:02d}{sep}{d:02d}{t}", st.integers(1990, 2099),
              st.integers(1, 12), st.integers(1, 31), st.sampled_from("-/"),
              st.sampled_from(["", "T10:00:00Z", " 09:12:44", "T23:59:59.123+08:00", " 1:2:3"])),
    st.builds(lambda h, m, s: f"{h}:{m:02d}:{s:02d}", st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
    st.builds(lambda a, b, c, d, e: f"{a}-{b}-{c}-{d}-{e}", _hex, _hex, _hex, _hex, _hex),
    st.builds(lambda user, host, port: f"postgres://{user}:pw@{host}:{port}/db", _word, _word, _digits),
    st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", _digits, _digits, _digits, _digits),
    st.builds(lambda parts: ":".join(parts), st.lists(_hex, min_size=2, max_size=8)),
    st.builds(lambda h: f"0x{h}", _hex),
    st.builds(lambda w, n, sep: f"{w}{sep}{n}", _word, _digits, st.sampled_from([" ", "=", ":", "#", "(", " = "])),
    st.builds(lambda n: f"[{n}]", _digits),
    st.builds(lambda a, b: f"{a}#{b}", _digits, _digits),
    st.builds(lambda parts: "/" + "/".join(parts), st.lists(st.sampled_from(["usr", "var", "log", "app.py", "x-1"]),
                                                            min_size=1, max_size=5)),
    st.builds(lambda parts: "C:\\" + "\\".join(parts), st.lists(st.sampled_from(["Users", "me", "a.txt"]),
                                                                min_size=1, max_size=4)),
    _digits, _hex, _word,
    st.text(alphabet="0123456789:-/.@#[]()x \\_TZ+,٣一错ſK\n", max_size=12),
)
_texts = st.lists(st.tuples(_piece, st.sampled_from([" ", "", ": ", "\n", ", ", "/", "."])), max_size=6).map(
    lambda pieces: "".join(piece + sep for piece, sep in pieces))


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_masking_with_shortcuts_makes_what_scanning_every_pattern_makes(text):
    assert mask(text) == mask_scanning_all(text)


def test_every_line_of_the_sample_reports_masks_the_same_with_shortcuts():
    lines = [line for path in sorted(ASSETS.rglob("*.md")) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) > 1000
    assert [mask(line) for line in lines] == [mask_scanning_all(line) for line in lines]


def test_what_two_machines_share_is_still_masked():
    assert signature("2026-01-14T09:12:44Z ERROR [worker-3] pid=4242 connect to 10.0.3.7:5432 failed") == \
        signature("2026-02-01T11:00:01Z ERROR [worker-3] pid=17 connect to 10.9.9.9:5432 failed")
    assert mask("see /srv/app/releases/42/app.py and C:\\Users\\me\\a.txt") == mask_scanning_all(
        "see /srv/app/releases/42/app.py and C:\\Users\\me\\a.txt")
