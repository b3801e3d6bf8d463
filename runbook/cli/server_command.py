"""`runbook server status|start|stop`: the search server that keeps `runbook search` loaded.

Thin over runbook/cli/search_client.py: the server starts by itself after a search of a large KB
(RUNBOOK_SEARCH_SERVER=auto) and stops after its idle time; these commands show it, start it for any
KB, and stop it."""

from __future__ import annotations

import time

import click

from runbook.cli.base import Context, cli, fail, guarded, say


@cli.group()
def server() -> None:
    """The search server that answers `runbook search` in ~30 ms (RUNBOOK_SEARCH_SERVER: auto, on, off)."""


@server.command()
@guarded
def status() -> None:
    """Whether it runs: its pid, the KBs it holds open, searches answered, memory, idle time."""
    from runbook.cli import search_client

    found = search_client.ask({"status": True})
    if not found:
        fail("no search server is running (`runbook search` starts one for a KB of "
             f"{search_client.SERVE_FROM_REPORTS:,}+ reports; `runbook server start` for any)")
    up = int(time.time() - found["started"])
    say(f"search server: pid {found['pid']}, up {up // 60} min {up % 60} s, {found['served']} search{'' if found['served'] == 1 else 'es'} answered, "
        f"{found['memory_mb']:.0f} MB of its own; stops after {found['idle_limit']:.0f} s without a search "
        f"(idle {found['idle']:.0f} s)")
    warmed = found.get("warmed") or {}
    for root in found["kbs"]:
        say(f"  open: {root}" + (f" (warmed with {warmed[root]} of its most-seen errors)" if warmed.get(root) else ""))


@server.command()
@click.pass_obj
@guarded
def start(context: Context) -> None:
    """Start it now, holding this KB open (it stops after 10 minutes without a search)."""
    from runbook.cli import search_client

    if search_client.policy() == "off":
        fail(f"{search_client.SERVER_ENV} is off: no search server is started or asked")
    if search_client.socket_path(create=True) is None:
        fail(f"no private folder for the server's socket (set {search_client.DIR_ENV} to a folder of yours)")
    from kb.search.index_state import ensure_current

    kb = context.kb()
    ensure_current(kb)  # the server opens only a current index: one to rebuild is rebuilt here, where it is said
    root = str(kb.root)
    found = search_client.ask({"status": True})
    if not found or root not in found["kbs"]:
        search_client.start_server(root)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = search_client.ask({"status": True})
            if found and root in found["kbs"]:
                break
            time.sleep(0.1)
        else:
            fail(f"the search server did not open {root} (a search runs in-process, as without one)")
    say(f"search server: pid {found['pid']}, holding {root} open")


@server.command()
@guarded
def stop() -> None:
    """Stop it (searches run in-process until a search of a large KB starts it again)."""
    from runbook.cli import search_client

    found = search_client.ask({"stop": True})
    if not found:
        fail("no search server is running")
    say(f"search server stopped (pid {found['pid']})")
