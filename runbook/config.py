"""The operator's config file: defaults they would otherwise type every time.

`config.toml` in the user config directory (`~/.config/runbook/config.toml` on Linux; platformdirs
decides elsewhere; `RUNBOOK_CONFIG` names another file), read with the standard library's tomllib:

    kb = "~/team-kb"                       # the KB when --kb and RUNBOOK_KB are not given
    operator = "Ann Lee <ann@example.com>" # who runs runbooks (run records, commits)
    timeout = 120                          # seconds before a run's command is killed
    theme = "gruvbox"                      # the TUI's colour theme
    pager = "less -FRX"                    # long output on a terminal; false: never page

A flag beats the environment (`RUNBOOK_KB`, `RUNBOOK_OPERATOR`, `RUNBOOK_TIMEOUT`, `RUNBOOK_THEME`,
`RUNBOOK_PAGER`, then `PAGER` for the pager), which beats the file, which beats the default.

The file is read only when a value is needed and no flag or variable gives it (so `runbook --kb X
search ...` never opens it), at most once per process while it is unchanged. A file that is not
TOML, a key runbook does not know or a value of the wrong kind is a one-line ConfigError naming the
file and the key, never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CONFIG_ENV = "RUNBOOK_CONFIG"
FILE_NAME = "config.toml"
ENV = {"kb": "RUNBOOK_KB", "operator": "RUNBOOK_OPERATOR", "timeout": "RUNBOOK_TIMEOUT", "theme": "RUNBOOK_THEME",
       "pager": "RUNBOOK_PAGER"}
DEFAULTS: dict[str, object] = {"kb": None, "operator": None, "timeout": 300.0, "theme": "textual-dark",
                               "pager": "less"}
KEYS = tuple(ENV)


class ConfigError(Exception):
    """The config file (or a variable that stands for one of its keys) holds something unusable: one line,
    naming the file (or variable) and the key. Not a KBError, so the TUI's first paint does not wait for
    the KB's module; every command's guard catches it beside KBError."""


@dataclass(frozen=True)
class Setting:
    """A setting's value and where it came from (a docstring of its own: kb/parse/lean_imports.py)."""

    value: object
    source: str  # "--kb", "RUNBOOK_KB", "the config file", "PAGER", "default"


def config_path() -> Path:
    """Where the config file is (whether or not it exists)."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser()
    import platformdirs  # only when the file is needed: a flag or a variable usually answers first

    return platformdirs.user_config_path("runbook", appauthor=False) / FILE_NAME


_cache: dict[tuple, dict[str, object]] = {}


def file_values(path: Path | None = None) -> dict[str, object]:
    """The file's settings, checked; {} when there is no file."""
    path = path or config_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if key not in _cache:
        _cache.clear()
        _cache[key] = _read(path)
    return _cache[key]


def _read(path: Path) -> dict[str, object]:
    import tomllib

    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text (a config file is TOML)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    values = {}
    for key, value in data.items():
        if key not in KEYS:
            raise ConfigError(f"{path}: unknown key `{key}` (runbook knows {', '.join(KEYS)})")
        values[key] = check(key, value, where=str(path))
    return values


def check(key: str, value: object, where: str) -> object:
    """A value of the right kind for key, or a ConfigError naming where it came from and the key."""
    if key == "timeout":
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 86_400:
            raise ConfigError(f"{where}: `timeout` must be a number of seconds between 0 and 86400, not {value!r}")
        return float(value)
    if key == "pager":
        if value is False or value == "":
            return ""  # never page
        if not isinstance(value, str):
            raise ConfigError(f"{where}: `pager` must be a command such as \"less -FRX\", or false, not {value!r}")
        return value
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: `{key}` must be a non-empty string, not {value!r}")
    if key == "operator" and "<" in value and not value.rstrip().endswith(">"):
        raise ConfigError(f"{where}: `operator` must read 'Name <email>' or a name, not {value!r}")
    return value.strip()


def setting(key: str, flag: object = None, flag_name: str = "") -> Setting:
    """What is in force for key: the flag, else its variable, else the config file, else the default."""
    if flag is not None:
        return Setting(flag, flag_name or f"--{key}")
    env = os.environ.get(ENV[key])
    if env is not None and (env or key == "pager"):  # RUNBOOK_PAGER="" means: never page
        return Setting(check(key, env, where=f"${ENV[key]}"), ENV[key])
    values = file_values()
    if key in values:
        return Setting(values[key], "the config file")
    if key == "pager" and os.environ.get("PAGER") is not None:
        return Setting(os.environ["PAGER"], "PAGER")
    return Setting(DEFAULTS[key], "default")


def value(key: str, flag: object = None) -> object:
    return setting(key, flag).value


def check_theme(theme: Setting, themes) -> None:
    """A configured theme Textual does not have: a ConfigError naming the file (or variable) and the key."""
    if theme.source == "default" or theme.value in themes:
        return
    where = config_path() if theme.source == "the config file" else f"${theme.source}"
    raise ConfigError(f"{where}: `theme` {theme.value!r} is not a theme (one of: {', '.join(sorted(themes))})")
