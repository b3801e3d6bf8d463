"""`runbook config`: where the config file is, what is in force, and where each value comes from."""

from __future__ import annotations

import click

from runbook.cli.base import Context, cli, dump_json, guarded, say


@cli.command(name="config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: the file, and per key its value and source.")
@click.option("--path", "path_only", is_flag=True, help="Print only the config file's path.")
@click.pass_obj
@guarded
def config_(context: Context, as_json: bool, path_only: bool) -> None:
    """Show where the config file is and the settings in force (flag, environment, file or default).

    \b
    The file is TOML, e.g.:
      kb = "~/team-kb"
      operator = "Ann Lee <ann@example.com>"
      timeout = 120
      theme = "gruvbox"
      pager = "less -FRX"      # false: never page
    """
    from runbook import config
    from runbook.paths import resolve_kb
    from runbook.pager import no_color, pager_command

    path = config.config_path()
    if path_only:
        say(str(path))
        return
    config.file_values(path)  # a bad file is one line naming it and the key, before anything is shown
    kb_path, kb_source = resolve_kb(context.kb_option)
    operator = config.setting("operator")
    theme = config.setting("theme")
    from textual.theme import BUILTIN_THEMES

    config.check_theme(theme, BUILTIN_THEMES)
    pager = config.setting("pager")
    rows = [
        ("kb", str(kb_path), kb_source),
        ("operator", operator.value or "(the KB's git identity, else your login name)", operator.source),
        ("timeout", f"{config.setting('timeout').value:g}", config.setting("timeout").source),
        ("theme", theme.value, theme.source),
        ("pager", (pager_command() or "(none)") if pager.value else "(none)",
         "--no-pager" if pager.value and not pager_command() else pager.source),
        ("color", "off" if no_color() else "on", "NO_COLOR or --no-color" if no_color() else "default"),
    ]
    if as_json:
        click.echo(dump_json({"file": str(path), "exists": path.exists(),
                              "settings": {key: {"value": value, "source": source} for key, value, source in rows}}))
        return
    state = "" if path.exists() else "  (not there: create it to change the defaults; see `runbook config --help`)"
    say(f"config file: {path}{state}")
    width = max(len(str(value)) for _, value, _ in rows)
    for key, value, source in rows:
        say(f"  {key:<9} {str(value):<{width}}  ({source})")
