"""Error groups: what the search index's group documents are made of, kept as write-ups come and go.

The same error written up in many reports is one search result (kb/search/index.py): its
document shows the best write-up (most complete, then longest fix, then newest) and every
member's distinct title, cause and fix, each in the order of the best member holding it.
Making that from the members means reading all of them, and at 50,000 reports one group holds
10,000 write-ups: adding 100 reports read 300,000 rows. So the store keeps, in its own
transaction, one row per group (its best write-up, how many reports it is seen in, its first
write-up) and one row per distinct text of a group with the best member holding it. New
write-ups are folded in (an upsert each); a group that lost members (a report changed or
replaced) is made again from its members, as before.

Derived data like every table here: `reindex` makes it again from the reports.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

TEXT_FIELDS = ("title", "cause", "fix")  # the group document's fields made of every member's distinct texts
_SOURCE = {"title": "title", "cause": "root_cause", "fix": "fix"}  # errors' column of each

SCHEMA = (
    "create table if not exists error_groups (group_key text primary key, seen_in integer, first integer, "
    "best integer, complete integer, fix_length integer)",
    "create table if not exists group_texts (group_key text, field text, text text, complete integer, "
    "fix_length integer, id integer)",
    "create unique index if not exists idx_group_texts_key on group_texts (group_key, field, text)",
    # a group's texts best first, read in order without a sort and from the index alone (kb/search/index.py's
    # _documents: the groups 100 new reports join hold ~60,000 texts at 50,000 reports, and looking each up
    # in the table was 0.25 s of adding them)
    "drop index if exists idx_group_texts_rank",
    "create index if not exists idx_group_texts_ranked on group_texts "
    "(group_key, field, complete desc, fix_length desc, id desc, text)",
)
INDEXES = ("idx_group_texts_key", "idx_group_texts_ranked")
TABLES = ("error_groups", "group_texts")

# The group of an error (its fingerprint, or itself), and how its write-up ranks: best first is
# (complete, fix_length, id) descending.
_MEMBERS = """
select case when coalesce(e.fingerprint, '') = '' then 'error-' || e.id else e.fingerprint end as group_key,
       e.id, e.report_id, e.title, e.root_cause, e.fix,
       (coalesce(e.root_cause, '') <> '') + (coalesce(e.fix, '') <> '') as complete,
       length(coalesce(e.fix, '')) as fix_length
from errors e where {members}
"""
_BEST_FIRST = "complete desc, fix_length desc, id desc"


def ensure(conn: sqlite3.Connection) -> bool:
    """Create the tables; True when they were not there (the caller fills them from the errors)."""
    missing = conn.execute("select count(*) from sqlite_master where name in ('error_groups', 'group_texts')"
                           ).fetchone()[0] < len(TABLES)
    for statement in SCHEMA:
        conn.execute(statement)
    return missing


def group_key(fingerprint: str | None, error_id: int) -> str:
    return fingerprint or f"error-{error_id}"


def keys_of_reports(conn: sqlite3.Connection, report_ids: list[int]) -> set[str]:
    """The groups these reports' write-ups are in (before they are deleted: those groups lose members)."""
    keys: set[str] = set()
    for start in range(0, len(report_ids), 500):
        chunk = report_ids[start:start + 500]
        keys.update(group_key(fingerprint, error_id) for error_id, fingerprint in conn.execute(
            f"select id, fingerprint from errors where report_id in ({','.join('?' * len(chunk))})", chunk))
    return keys


def remake(conn: sqlite3.Connection, keys: Iterable[str] | None) -> None:
    """Make these groups (None: every group) again from their members, in SQL."""
    for keys_here, members, params in _conditions(None if keys is None else sorted(keys)):
        where = "1" if keys_here is None else f"group_key in ({','.join('?' * len(keys_here))})"
        conn.execute(f"delete from error_groups where {where}", keys_here or [])
        conn.execute(f"delete from group_texts where {where}", keys_here or [])
        member_sql = _MEMBERS.replace("{members}", members)
        conn.execute(f"""
            insert into error_groups (group_key, seen_in, first, best, complete, fix_length)
            select heads.group_key, counts.seen_in, counts.first, heads.id, heads.complete, heads.fix_length
            from (select group_key, id, complete, fix_length,
                         row_number() over (partition by group_key order by {_BEST_FIRST}) as nth
                  from ({member_sql})) heads
            join (select group_key, count(distinct report_id) as seen_in, min(id) as first
                  from ({member_sql}) group by group_key) counts on counts.group_key = heads.group_key
            where heads.nth = 1""", params * 2)
        for field in TEXT_FIELDS:
            column = _SOURCE[field]
            conn.execute(f"""
                insert into group_texts (group_key, field, text, complete, fix_length, id)
                select group_key, ?, {column}, complete, fix_length, id from (
                    select *, row_number() over (partition by group_key, {column} order by {_BEST_FIRST}) as nth
                    from ({member_sql}) where coalesce({column}, '') <> '') where nth = 1""", [field, *params])


def fold_in(conn: sqlite3.Connection, errors: list[dict], skip: set[str]) -> None:
    """Add new write-ups (rows as inserted into errors) to their groups, except the groups in skip (made
    again whole by remake). A write-up better than a group's best becomes it; a text better held
    than before is ranked by its better holder."""
    heads: dict[str, list] = {}  # group -> [seen report ids, first, best rank]
    texts: dict[tuple[str, str, str], tuple[int, int, int]] = {}
    for error in errors:
        key = group_key(error["fingerprint"], error["id"])
        if key in skip:
            continue
        cause, fix = error["root_cause"] or "", error["fix"] or ""
        rank = ((cause != "") + (fix != ""), len(fix), error["id"])
        head = heads.get(key)
        if head is None:
            heads[key] = [{error["report_id"]}, error["id"], rank]
        else:
            head[0].add(error["report_id"])
            head[1], head[2] = min(head[1], error["id"]), max(head[2], rank)
        for field in TEXT_FIELDS:
            text = error[_SOURCE[field]]
            if text:
                texts[(key, field, text)] = max(rank, texts.get((key, field, text), rank))
    conn.executemany("""
        insert into error_groups (group_key, seen_in, first, best, complete, fix_length) values (?, ?, ?, ?, ?, ?)
        on conflict (group_key) do update set
            seen_in = seen_in + excluded.seen_in, first = min(first, excluded.first),
            best = iif((excluded.complete, excluded.fix_length, excluded.best) > (complete, fix_length, best),
                       excluded.best, best),
            fix_length = iif((excluded.complete, excluded.fix_length, excluded.best) > (complete, fix_length, best),
                             excluded.fix_length, fix_length),
            complete = max(complete, excluded.complete)""",
                     [(key, len(reports), first, rank[2], rank[0], rank[1])
                      for key, (reports, first, rank) in heads.items()])
    conn.executemany("""
        insert into group_texts (group_key, field, text, complete, fix_length, id) values (?, ?, ?, ?, ?, ?)
        on conflict (group_key, field, text) do update set
            id = iif((excluded.complete, excluded.fix_length, excluded.id) > (complete, fix_length, id), excluded.id, id),
            fix_length = iif((excluded.complete, excluded.fix_length, excluded.id) > (complete, fix_length, id),
                             excluded.fix_length, fix_length),
            complete = max(complete, excluded.complete)""",
                     [(*key, *rank) for key, rank in texts.items()])


def _conditions(keys: list[str] | None):
    """(these keys, the condition on errors e picking their members, its parameters), 400 keys at a time;
    one (None, all, []) when keys is None. A key is a fingerprint, or `error-<id>` for a write-up without one."""
    if keys is None:
        yield None, "1", []
        return
    for start in range(0, len(keys), 400):
        chunk = keys[start:start + 400]
        fingerprints = [key for key in chunk if not key.startswith("error-")]
        alone = [int(key.removeprefix("error-")) for key in chunk if key.startswith("error-")]
        condition = f"e.fingerprint in ({','.join('?' * len(fingerprints))})"
        if alone:
            condition += f" or (coalesce(e.fingerprint, '') = '' and e.id in ({','.join('?' * len(alone))}))"
        yield chunk, f"({condition})", [*fingerprints, *alone]
