"""`runbook search` answered by the resident search server, when one is running for this installation.

A whole `runbook search` process spends ~100 ms starting Python and importing the index reader, the
ranking and SQLite, then 5-10 ms searching. The search server (runbook/search_server.py) keeps them
loaded: this module (with the pager's small module, all the client imports beyond the interpreter)
hands it the command line, and what a pipe holds, and prints what comes back. Anything the server does not answer exactly as the in-process search would
(a KB to set up, an index to rebuild, a read-only note, an error) it declines, and the caller goes on
in-process as before. The server is per user and per installation: its socket sits in a directory only
this user can open, named after this environment and this package, so two venvs never answer for
each other.

`RUNBOOK_SEARCH_SERVER` says when: `auto` (the default) starts one after an in-process search of a KB
of SERVE_FROM_REPORTS reports or more, `on` after any search, `off` never, and then no server is asked
either.
"""

import marshal
import os
import sys

from runbook.pager import isatty  # a module of os and sys: the pager itself runs for a long answer on a terminal

SERVER_ENV = "RUNBOOK_SEARCH_SERVER"
DIR_ENV = "RUNBOOK_SERVER_DIR"  # where the socket lives (tests give each run its own)
SERVE_FROM_REPORTS = 1000  # `auto`: below this a whole-process search is as quick as anyone notices
REPLY_TIMEOUT = 10.0  # seconds: a server that does not answer by then is passed by (searched in-process)
_HEADER = 4  # bytes of length before each message
MAX_MESSAGE = 64 << 20  # a larger one is refused (a search reads the first 1 MB of a paste anyway)
server_replied = False  # a server answered or declined this process's search: none is started after it


SERVER_WORDS = {"auto": "auto", "on": "on", "yes": "on", "true": "on", "1": "on", "always": "on",
                "off": "off", "no": "off", "false": "off", "0": "off", "never": "off"}


def policy() -> str:
    """"on", "off" or "auto": an environment variable, so deciding costs a search nothing."""
    return SERVER_WORDS.get(os.environ.get(SERVER_ENV, "").strip().lower(), "auto")


def socket_dir(create: bool = False) -> str | None:
    """This user's directory for the socket (made, private, when a server is started); None when it is
    not there yet, or not private (another user's, or open to others): then no server is asked."""
    base = os.environ.get(DIR_ENV)
    if not base:
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        base = os.path.join(runtime, "runbook") if runtime else os.path.join("/tmp", f"runbook-{os.getuid()}")
    if create:
        try:
            os.mkdir(base, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    try:
        info = os.lstat(base)
    except OSError:
        return None
    import stat

    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return base


def socket_path(create: bool = False) -> str | None:
    """The socket of this installation's server: one per environment (venv) and package directory."""
    if not hasattr(os, "getuid"):
        return None
    base = socket_dir(create)
    if base is None:
        return None
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(base, f"search-{_fnv1a(f'{sys.prefix}{chr(0)}{here}'):08x}.sock")


def _fnv1a(text: str) -> int:
    """A stable 32-bit hash of text (FNV-1a): hash() differs per process, zlib costs an import here."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8", "surrogateescape"):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def send(connection, message: dict) -> None:
    """A message is a dict of strings, numbers, lists and dicts, in marshal's format (built in: nothing to
    import), after its length. Both ends are this user's processes of one installation (one Python)."""
    data = marshal.dumps(message, 4)
    connection.sendall(len(data).to_bytes(_HEADER, "big") + data)


def receive(connection) -> dict | None:
    """One message, or None when the other side closed before a whole one came."""
    header = _read_exactly(connection, _HEADER)
    if header is None:
        return None
    size = int.from_bytes(header, "big")
    if size > MAX_MESSAGE:
        raise ValueError("message too large")
    data = _read_exactly(connection, size)
    if data is None:
        return None
    message = marshal.loads(data)
    if not isinstance(message, dict):
        raise ValueError("not a message")
    return message


def _read_exactly(connection, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def ask(message: dict, path: str | None = None, timeout: float = REPLY_TIMEOUT) -> dict | None:
    """The server's reply to message; None when no server is listening, or it did not answer in time."""
    import _socket  # the C module: `socket` would import enum and selectors, a third of this path's imports

    path = path or socket_path()
    if path is None:
        return None
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.settimeout(timeout)
        connection.connect(path)
        send(connection, message)
        return receive(connection)
    except (OSError, ValueError, EOFError, TypeError):  # no socket, a server gone (kill -9), a timeout, garbled
        return None
    finally:
        connection.close()


def answer_by_server(args: list[str]) -> int | None:
    """The exit code of a search the server answered and this process printed; None when it declined
    (or none is running): the caller searches in-process."""
    if policy() == "off":
        return None
    global server_replied
    message = {"search": args, "cwd": os.getcwd(), "env": dict(os.environ), "tty": isatty(sys.stdout)}
    reply = ask(message)
    if reply and reply.get("stdin") and sys.stdin is not None and not isatty(sys.stdin):  # `| runbook search`
        message["stdin"] = _read_stdin()
        if message["stdin"] is None:
            return None
        reply = ask(message)
    server_replied = reply is not None
    if not reply or not reply.get("served"):
        return None
    if reply.get("no_pager"):
        from runbook.pager import disable

        disable()
    return deliver(reply["events"], reply["code"])


def _read_stdin() -> str | None:
    """What the pipe holds, read as sys.stdin reads it; sys.stdin is then a copy of it, so a search the
    server declines reads the same text in-process (or fails the same way on bytes that do not decode)."""
    import io

    encoding, errors = sys.stdin.encoding, sys.stdin.errors
    try:
        data = sys.stdin.buffer.read()
    except (AttributeError, OSError, ValueError):
        return None
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors)
    try:
        text = sys.stdin.read()
    except UnicodeDecodeError:
        text = None
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors)
    return text


def deliver(events: list, code: int) -> int:
    """Print a search's output: ("out" | "err", text) lines, and ("page", text) through the pager when it
    is long and stdout is a terminal (runbook.pager). A reader that left (`| head`) ends it quietly."""
    try:
        for kind, text in events:
            if kind == "page" and isatty(sys.stdout):  # only a terminal pages (runbook.pager)
                from runbook.pager import show

                show(text)
            else:
                echo(text, err=kind == "err")
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


def echo(text: str, err: bool = False) -> None:
    """What click.echo does with text: one line out, flushed."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n")
    stream.flush()


def start_server(kb_root: str) -> None:
    """Start this installation's server in the background, opened on kb_root (it stops by itself after
    its idle time). Detached: it outlives this process, and never holds its terminal or its directory."""
    import subprocess

    path = socket_path(create=True)
    if path is None or len(os.fsencode(path)) > 100:  # a Unix socket's path must fit in 108 bytes
        return
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)  # a checkout run as `python -m runbook.cli` finds runbook from "/" too
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    try:
        subprocess.Popen([sys.executable, "-m", "runbook.search_server", "--socket", path, "--kb", kb_root],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         cwd="/", env=env, start_new_session=True, close_fds=True)
    except OSError:
        pass  # no server then: every search stays in-process, as before
