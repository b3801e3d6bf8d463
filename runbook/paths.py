"""Where things live: the default KB (user data dir) and the bundled assets."""

from __future__ import annotations

import os
from pathlib import Path

ENV_KB = "RUNBOOK_KB"


def default_kb_path() -> Path:
    import platformdirs  # only when no KB is named: `runbook --kb X search` never needs it

    return platformdirs.user_data_path("runbook", appauthor=False) / "kb"


def assets_dir() -> Path:
    """Bundled assets: inside the installed package, or at the repository root in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "assets", here.parent / "assets"):
        if (candidate / "reports").is_dir():
            return candidate
    raise FileNotFoundError("runbook's bundled assets are missing (reinstall the package)")


def sample_reports_dir() -> Path:
    return assets_dir() / "reports"


def resolve_kb_path(option: str | None) -> tuple[Path, bool]:
    """The KB path from --kb, then $RUNBOOK_KB, then `kb` in the config file, then the default; and
    whether it is the default."""
    path, source = resolve_kb(option)
    return path, source == "default"


def resolve_kb(option: str | None) -> tuple[Path, str]:
    """The KB path and what named it: "--kb", "RUNBOOK_KB", "the config file" or "default". The config
    file is read only when neither --kb nor $RUNBOOK_KB names a KB."""
    if option:
        return Path(option).expanduser(), "--kb"
    if os.environ.get(ENV_KB):
        return Path(os.environ[ENV_KB]).expanduser(), ENV_KB
    from runbook.config import file_values

    configured = file_values().get("kb")
    if configured:
        return Path(str(configured)).expanduser(), "the config file"
    return default_kb_path(), "default"
