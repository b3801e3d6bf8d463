"""Which commands need the operator's terminal, and which run until someone stops them.

Every command runs in a pseudo-terminal (kb/runs/runner.py), so programs that only want to *see*
a terminal (colour, `docker compose exec`, `docker exec -t`) simply work. Some want more:

- **terminal**: they ask the operator something: a password (`sudo`, `su`, `mysql -p`, `psql -W`,
  `docker login`), a shell or REPL with nothing to run (`psql`, `redis-cli`, `python3`, `bash`,
  `docker exec -it db sh`), a remote login (`ssh host`, `scp file host:`), an editor (`vim`,
  `nano`, `kubectl edit`, `git commit` without `-m`), a pager (`less`, `man`), a yes/no question
  (`apt install` without `-y`), or a full screen (`top`, `htop`, `watch`). They get the operator's
  terminal for as long as they run.
- **follow**: they run until stopped (`tail -f`, `docker logs -f`, `journalctl -f`, `pm2 logs`,
  `kubectl get -w`, `ping` without `-c`, `docker compose up` without `-d`, a dev server). The
  operator ends them with a key, and that is the step completed, not a failure.

Each is read from the command's shape, never from one runbook's text: the program (through
wrappers such as `sudo`, `env`, `timeout`, `docker exec`, `kubectl exec --`, `ssh host`), its
options, whether its input comes from a pipe or a file, and whether a pipe after it ends it
(`| head`). An author's non-interactive form is honoured: `sudo -n`, `ssh -T` / `-n` /
`-o BatchMode=yes`, `docker compose exec -T`, `--no-pager`, `-y`, `--noinput`, `timeout N`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.runs.command_words import (ASSIGNMENT_RE, SimpleCommand, first_positional, has_flag, program_of,
                                   simple_commands, skip_options, split_options)


@dataclass(frozen=True)
class Needs:
    terminal: bool = False  # it asks the operator something, or draws a full screen
    follow: bool = False  # it runs until someone stops it
    reason: str = ""  # for people: "sudo may ask for a password"

    @property
    def plain(self) -> bool:
        return not (self.terminal or self.follow)

    def label(self) -> str:
        """`terminal`, `follow`, `terminal, follow` or `plain`: the class, as the bench prints it."""
        kinds = [name for name, on in (("terminal", self.terminal), ("follow", self.follow)) if on]
        return ", ".join(kinds) or "plain"


PLAIN = Needs()


def classify(command: str) -> Needs:
    """What the command needs when it runs: the first simple command that needs something decides."""
    follow: Needs | None = None
    for simple in simple_commands(command):
        needs = _needs(simple)
        if needs.terminal:
            if follow is not None and not needs.follow:
                return Needs(True, True, f"{needs.reason}; {follow.reason}")
            return needs
        if needs.follow and follow is None:
            follow = needs
    return follow or PLAIN


def unattended_problem(steps) -> str | None:
    """Why an unattended run (`--yes`) must refuse these steps before anything runs, or None.

    Nobody is at the terminal: a command that asks would wait for ever, one that follows a log
    would never end. The author can give either a non-interactive form."""
    for number, step in enumerate(steps, start=1):
        for command in step.commands:
            needs = classify(command.command)
            if needs.plain:
                continue
            title = " ".join(step.title.replace("`", "").split())
            shown = " ".join(command.command.split())
            shown = shown if len(shown) <= 80 else shown[:79] + "…"
            if needs.terminal:
                return (f"step {number} ({title}) needs a terminal: `{shown}` ({needs.reason}), and --yes runs with "
                        "nobody to answer it. Give it a non-interactive form (sudo -n, ssh -T or -o BatchMode=yes, "
                        "docker compose exec -T, --no-pager, -y) or run without --yes")
            return (f"step {number} ({title}) runs until stopped: `{shown}` ({needs.reason}), and --yes runs with "
                    "nobody to stop it. Bound it (timeout 30 …, drop -f, ping -c 3) or run without --yes")
    return None


# -- what one simple command needs -----------------------------------------------------------------------

_WRAPPERS_WITHOUT_OPTIONS = {"nohup", "time", "exec", "command", "builtin", "stdbuf", "chronic", "unbuffer"}
_SHELLS = {"bash", "sh", "zsh", "dash", "fish", "ksh", "ash"}
_EDITORS = {"vi", "vim", "nvim", "view", "vimdiff", "nano", "pico", "emacs", "micro", "joe", "mcedit", "ed",
            "sudoedit", "vipw", "visudo", "vigr"}
_PAGERS = {"less", "more", "most", "man"}
_FULL_SCREEN = {"top", "htop", "btop", "atop", "iotop", "iftop", "nload", "nethogs", "glances", "ctop", "k9s",
                "lazydocker", "lazygit", "nmon", "mytop", "pg_top", "bpytop", "bmon", "tmux", "screen", "mc",
                "ranger", "tig", "ncdu", "mtr", "nvtop", "gtop", "s-tui", "zenith", "bottom", "btm"}
_TMUX_QUIET = {"ls", "list-sessions", "kill-session", "kill-server", "send-keys", "has-session", "capture-pane",
               "list-windows", "list-panes", "display-message", "set-option", "show-options", "source-file"}
_REPLS = {"python", "python2", "python3", "ipython", "ipython3", "bpython", "node", "deno", "irb", "pry", "ruby",
          "php", "lua", "R", "ghci", "erl", "iex", "scala", "julia", "perl", "psysh", "tclsh", "bun"}
_LOGIN = {"su": "su asks for a password", "passwd": "passwd asks for a password",
          "login": "login asks for a name and password", "ssh-copy-id": "ssh-copy-id asks for a password",
          "telnet": "telnet is an interactive session", "ftp": "ftp is an interactive session",
          "mosh": "mosh is a remote login", "minicom": "minicom is an interactive session"}
_SERVERS = {"uvicorn", "gunicorn", "hypercorn", "daphne", "nodemon", "http-server", "ngrok", "live-server", "serve",
            "flask", "celery", "rq", "sidekiq", "caddy", "webpack-dev-server"}
_DEV_SCRIPTS = {"dev", "start", "serve", "watch", "develop", "preview"}


def _needs(simple: SimpleCommand) -> Needs:
    words = list(simple.words)
    while words and ASSIGNMENT_RE.match(words[0]):
        words.pop(0)
    if not words:
        return PLAIN
    interactive_stdin = not (simple.piped_in or simple.stdin_redirected)
    needs = _program_needs(words, interactive_stdin)
    if needs.follow and simple.bounded_by:
        needs = Needs(needs.terminal, False, needs.reason)
    return needs


def _program_needs(words: list[str], stdin: bool) -> Needs:
    """`stdin`: the command reads the terminal (not a pipe or a file), so a REPL there is interactive."""
    program = program_of(words)
    args = words[1:]
    if args and all(a in ("--version", "-V", "--help", "-h", "version", "help") for a in args):
        return PLAIN  # `python --version` asks nothing and ends
    if program in ("sudo", "doas"):
        return _sudo(program, args, stdin)
    if program in ("env",):
        rest = skip_options(args, with_value={"-u", "--unset", "-C", "--chdir", "-S", "--split-string"})
        while rest and ASSIGNMENT_RE.match(rest[0]):
            rest = rest[1:]
        return _program_needs(rest, stdin) if rest else PLAIN
    if program == "command" and any(a in ("-v", "-V") for a in args):
        return PLAIN  # `command -v vim` asks where vim is
    if program in _WRAPPERS_WITHOUT_OPTIONS or program in ("nice", "ionice", "setsid", "xargs", "caffeinate"):
        rest = skip_options(args, with_value={"-n", "-c", "-p", "-o", "-e", "-i", "-I", "-L", "-P", "-d", "-s"})
        if program == "xargs":  # its command's stdin is not the terminal
            stdin = False
        return _program_needs(rest, stdin) if rest else PLAIN
    if program == "timeout":  # bounded: whatever it runs ends by itself
        rest = skip_options(args, with_value={"-s", "--signal", "-k", "--kill-after"})
        inner = _program_needs(rest[1:], stdin) if len(rest) > 1 else PLAIN
        return Needs(inner.terminal, False, inner.reason)
    if program == "watch":
        return Needs(True, True, "watch redraws the screen until stopped")
    if program in ("read", "select"):
        return Needs(True, False, f"{program} waits for a line from you") if stdin else PLAIN
    if program in _FULL_SCREEN:
        return _full_screen(program, args)
    if program in _EDITORS:
        return Needs(True, False, f"{program} is an editor")
    if program in _PAGERS:
        follow = program == "less" and any(a.startswith("+F") or a == "+F" for a in args)
        return Needs(True, follow, f"{program} is a pager" + (" that follows the file" if follow else ""))
    if program in _LOGIN:
        return Needs(True, False, _LOGIN[program])
    return _known(program, args, stdin)


def _sudo(program: str, args: list[str], stdin: bool) -> Needs:
    options, rest = split_options(args, {"-u", "--user", "-g", "--group", "-h", "--host", "-p", "--prompt", "-C",
                                          "--close-from", "-r", "--role", "-t", "--type", "-U", "--other-user",
                                          "-D", "--chdir", "-T", "--command-timeout"})
    if has_flag(options, "e", "--edit"):
        return Needs(True, False, f"{program} -e opens an editor")
    inner = _program_needs(rest, stdin) if rest else PLAIN
    if not rest and (has_flag(options, "i", "--login") or has_flag(options, "s", "--shell")):
        return Needs(True, False, f"{program} opens a root shell")
    if has_flag(options, "n", "--non-interactive") or (has_flag(options, "S", "--stdin") and not stdin) \
            or (not rest and has_flag(options, "", "-v", "-k", "-K", "-l", "--list", "-V", "--version")):
        return inner  # the author's non-interactive form, or a password piped in
    reason = f"{program} may ask for a password"
    return Needs(True, inner.follow, f"{reason}; {inner.reason}" if inner.reason else reason)


def _full_screen(program: str, args: list[str]) -> Needs:
    batch = any(a in ("-b", "--batch", "-B", "--batch-mode") or (a.startswith("-") and not a.startswith("--")
                                                                  and "b" in a) for a in args)
    counted = any(a in ("-n", "--iterations", "-c", "--count") or re.match(r"^-[a-zA-Z]*n\d*$", a) for a in args)
    if program in ("top", "iotop", "atop") and batch:
        return PLAIN if counted else Needs(False, True, f"{program} -b prints until stopped")
    if program == "mtr" and any(a in ("-r", "--report", "-w", "--report-wide", "-j", "--json", "-c") for a in args):
        return PLAIN
    if program == "ncdu" and any(a.startswith("-o") for a in args):
        return PLAIN
    if program in ("tmux", "screen"):
        detached = has_flag(args, "d") or any(a in ("-ls", "-list", "-dmS", "-X") for a in args)
        if detached or (program == "tmux" and first_positional(args) in _TMUX_QUIET):
            return PLAIN
        return Needs(True, False, f"{program} takes over the terminal")
    follow = program not in ("ncdu", "mc", "ranger", "tig", "lazygit")
    return Needs(True, follow, f"{program} draws a full screen" + (" until stopped" if follow else ""))


def _known(program: str, args: list[str], stdin: bool) -> Needs:
    """The rule for this program, if there is one (`_RULES`); a shell, a REPL or nothing special otherwise."""
    rule = _RULES.get(program)
    if rule is not None:
        return rule(program, args, stdin)
    if program in _SHELLS:
        if "-c" in args:  # what it runs decides
            script = args[args.index("-c") + 1:args.index("-c") + 2]
            return classify(script[0]) if script else PLAIN
        if any(not a.startswith("-") for a in args):
            return PLAIN  # a script: it runs and ends
        return Needs(True, False, f"{program} with nothing to run is an interactive shell") if stdin else PLAIN
    if program in _REPLS or program.startswith("python"):
        return _repl(program, args, stdin)
    return PLAIN


# -- one rule per program (or family): (program, args, stdin) -> Needs -----------------------------------------

def _follows(reason: str) -> Needs:
    return Needs(False, True, reason)


def _asks(reason: str) -> Needs:
    return Needs(True, False, reason)


def _tail(program, args, stdin):
    following = any(a in ("-f", "-F", "--follow", "--retry") or a.startswith("--follow") or
                    (re.match(r"^-[A-Za-z0-9]*[fF][A-Za-z0-9]*$", a) and not a.startswith("--")) for a in args)
    return _follows("tail -f follows the file") if following else PLAIN


def _journalctl(program, args, stdin):
    following = any(a in ("-f", "--follow") or re.match(r"^-[a-zA-Z]*f[a-zA-Z]*$", a) for a in args)
    return _follows("journalctl -f follows the journal") if following else PLAIN


def _dmesg(program, args, stdin):
    return _follows("dmesg -w waits for new messages") if set(args) & {"-w", "--follow", "-W", "--follow-new"} \
        else PLAIN


def _ping(program, args, stdin):
    bounded = any(a in ("-c", "-w", "--count", "--deadline") or re.match(r"^-[a-zA-Z]*[cw]\d*$", a) for a in args)
    return PLAIN if bounded else _follows("ping runs until stopped")


def _tcpdump(program, args, stdin):
    bounded = any(a == "-c" or re.match(r"^-c\d+$", a) for a in args) or "-r" in args
    return PLAIN if bounded else _follows("tcpdump captures until stopped")


def _every_n_seconds(program, args, stdin):  # vmstat 1: a delay and no count
    numbers = [a for a in args if a.isdigit()]
    if program == "dstat":
        return PLAIN if len(numbers) >= 2 else _follows("dstat prints until stopped")
    return _follows(f"{program} {numbers[0]} prints until stopped") if len(numbers) == 1 else PLAIN


def _listens(program, args, stdin):
    if program == "inotifywait":
        return _follows("inotifywait -m watches until stopped") if set(args) & {"-m", "--monitor"} else PLAIN
    if program == "strace":
        return _follows("strace -p traces until stopped") if "-p" in args else PLAIN
    if program == "socat":
        return _follows("socat relays until stopped") if any("LISTEN" in a.upper() for a in args) else PLAIN
    listening = any(re.match(r"^-[a-zA-Z]*l[a-zA-Z]*$", a) for a in args)
    return _follows(f"{program} -l listens until stopped") if listening else PLAIN


def _pm2(program, args, stdin):
    sub = first_positional(args)
    if sub == "logs" and "--nostream" not in args:
        return _follows("pm2 logs streams until stopped")
    if sub in ("monit", "dash", "dashboard"):
        return Needs(True, True, f"pm2 {sub} draws a full screen until stopped")
    return PLAIN


def _heroku(program, args, stdin):
    sub = first_positional(args)
    if sub == "logs" and set(args) & {"-t", "--tail"}:
        return _follows("heroku logs --tail streams until stopped")
    if sub in ("run", "run:inside") and not set(args) & {"--no-tty", "-x"}:
        rest = skip_options(args[args.index(sub) + 1:], with_value={"-a", "--app", "-s", "--size", "-e", "--env",
                                                                     "-r", "--remote"})
        return _program_needs(rest, stdin) if rest else _asks("heroku run opens a shell")
    return _asks("heroku login asks for credentials") if sub == "login" else PLAIN


def _fly(program, args, stdin):
    sub = first_positional(args)
    if sub == "logs" and "--no-tail" not in args:
        return _follows(f"{program} logs streams until stopped")
    if sub == "ssh" and not set(args) & {"-C", "--command"}:
        return _asks(f"{program} ssh console is a remote login")
    return PLAIN


def _ssh_keygen(program, args, stdin):
    generating = not set(args) & {"-l", "-F", "-R", "-y", "-r", "-B", "-L", "-Q", "-D", "-H", "-k"}
    if generating and not any(a.startswith("-N") for a in args):
        return _asks("ssh-keygen asks for a passphrase (give -N)")
    return PLAIN


def _secrets_tools(program, args, stdin):
    if program == "htpasswd":  # -b takes the password as an argument, -i from stdin
        return PLAIN if has_flag(args, "b") or has_flag(args, "i") else _asks("htpasswd asks for a password")
    batch = set(args) & {"--batch", "--list-keys", "-k", "--verify", "--list-secret-keys", "-K"}
    return PLAIN if batch else _asks("gpg may ask for a passphrase")


def _editing_subcommand(program, args, stdin):  # crontab -e, systemctl edit
    if program == "crontab":
        return _asks("crontab -e opens an editor") if "-e" in args else PLAIN
    return _asks("systemctl edit opens an editor") if first_positional(args) == "edit" else PLAIN


def _pip(program, args, stdin):
    asks = first_positional(args) == "uninstall" and not set(args) & {"-y", "--yes"}
    return _asks("pip uninstall asks to confirm (give -y)") if asks else PLAIN


def _certbot(program, args, stdin):
    sub = first_positional(args)
    asks = sub not in ("renew", "certificates", "revoke", "delete", "plugins") and \
        not set(args) & {"-n", "--non-interactive", "--noninteractive"}
    return _asks("certbot may ask questions (give -n)") if asks else PLAIN


def _npx(program, args, stdin):  # what it runs decides
    rest = skip_options(args, with_value={"-p", "--package"})
    return _program_needs(rest, stdin) if rest else PLAIN


def _site_server(program, args, stdin):  # vite, next, nuxt, hugo, jekyll
    sub = first_positional(args)
    if sub in ("build", "export", "lint", "generate", "version", "new", "info", "telemetry"):
        return PLAIN
    if program in ("next", "nuxt") and sub not in ("dev", "start"):
        return PLAIN
    if program in ("hugo", "jekyll") and sub not in ("server", "serve", "s"):
        return PLAIN
    return _follows(f"{program} {sub or 'dev'} serves until stopped")


def _watcher(program, args, stdin):  # tsc -w, jest --watch, vitest, cargo watch
    sub = first_positional(args)
    watching = set(args) & {"-w", "--watch", "--watchAll"} or (program == "vitest" and sub in (None, "watch", "dev")) \
        or (program == "cargo" and sub == "watch")
    return _follows(f"{program} watches until stopped") if watching else PLAIN


def _rails(program, args, stdin):
    sub = first_positional(args)
    if sub in ("console", "c", "dbconsole", "db"):
        return _asks(f"rails {sub} is an interactive console")
    return _follows("rails server serves until stopped") if sub in ("server", "s") else PLAIN


def _php(program, args, stdin):
    if first_positional(args) == "artisan":
        command = first_positional(args[args.index("artisan") + 1:])
        if command == "tinker":
            return _asks("artisan tinker is an interactive console")
        if command in ("serve", "queue:work", "queue:listen", "horizon", "reverb:start"):
            return _follows(f"artisan {command} runs until stopped")
        return PLAIN
    if "-a" in args:
        return _asks("php -a is an interactive shell")
    return _follows("php -S serves until stopped") if "-S" in args else PLAIN


def _server(program, args, stdin):
    sub = first_positional(args)
    if program == "flask":
        if sub == "shell":
            return _asks("flask shell is an interactive console")
        return _follows("flask run serves until stopped") if sub == "run" else PLAIN
    if program == "celery":
        worker = sub in ("worker", "beat", "flower") or "worker" in args
        return _follows("a celery worker runs until stopped") if worker else PLAIN
    if program == "caddy":
        return _follows("caddy run serves until stopped") if sub == "run" else PLAIN
    if program in ("rq", "sidekiq"):
        return _follows(f"{program} runs until stopped")
    return _follows(f"{program} serves until stopped")


def _cloud_login(program, args, stdin):  # gh, az, gcloud, aws
    if program == "gh":
        return _asks("gh auth login asks questions") if args[:2] == ["auth", "login"] else PLAIN
    if args[:1] == ["login"] or args[:2] in (["auth", "login"], ["sso", "login"]):
        return _asks(f"{program} login asks the operator")
    if program == "aws" and args[:2] == ["ssm", "start-session"]:
        return _asks("aws ssm start-session is a remote shell")
    return PLAIN


def _terraform(program, args, stdin):
    sub = first_positional(args)
    planned = any(a.endswith((".tfplan", ".plan")) for a in args)
    if sub in ("apply", "destroy") and not set(args) & {"-auto-approve", "--auto-approve"} and not planned:
        return _asks(f"terraform {sub} asks to confirm (give -auto-approve)")
    return _asks("terraform console is interactive") if sub == "console" else PLAIN


def _dotnet(program, args, stdin):
    sub = first_positional(args)
    return _follows(f"dotnet {sub} runs until stopped") if sub in ("run", "watch") else PLAIN


def _deno(program, args, stdin):
    return _asks("deno with nothing to run is a REPL") if not args and stdin else PLAIN


def _docker(program: str, args: list[str], stdin: bool) -> Needs:
    rest = skip_options(args, with_value={"-H", "--host", "--context", "-c", "--config", "-l", "--log-level"})
    if not rest:
        return PLAIN
    sub, tail = rest[0], rest[1:]
    if sub == "compose":
        return _compose(tail, stdin, f"{program} compose")
    if sub == "container" and tail:
        sub, tail = tail[0], tail[1:]
    if sub in ("logs",):
        return Needs(False, True, f"{program} logs -f follows the log") if has_flag(tail, "f", "--follow") else PLAIN
    if sub in ("stats",):
        return PLAIN if "--no-stream" in tail else Needs(False, True, f"{program} stats refreshes until stopped")
    if sub in ("events",):
        return PLAIN if any(a.startswith("--until") for a in tail) else Needs(False, True,
                                                                                  f"{program} events waits for events")
    if sub == "attach":
        return Needs(True, False, f"{program} attach connects your terminal to the container")
    if sub == "login":
        given = any(a in ("-p", "--password", "--password-stdin") or a.startswith("--password") for a in tail)
        return PLAIN if given else Needs(True, False, f"{program} login asks for a password")
    if sub in ("exec", "run", "create"):
        if sub == "create":
            return PLAIN
        value_options = _DOCKER_RUN_VALUES if sub == "run" else _DOCKER_EXEC_VALUES
        options, positional = split_options(tail, value_options)
        interactive = has_flag(options, "i", "--interactive")
        tty = has_flag(options, "t", "--tty")
        detached = has_flag(options, "d", "--detach")
        if detached:
            return PLAIN
        inner_words = positional[1:]  # after the container or image
        if not inner_words:
            if sub == "run" and interactive and tty:
                return Needs(True, False, f"{program} run -it with no command opens the image's shell")
            return PLAIN
        inner = _program_needs(inner_words, stdin and interactive)
        if inner.terminal and not interactive:  # no stdin attached: a REPL there reads nothing and ends
            inner = Needs(False, inner.follow, inner.reason)
        return _inside(inner, f"{program} {sub}")
    return PLAIN


_DOCKER_EXEC_VALUES = {"-u", "--user", "-w", "--workdir", "-e", "--env", "--env-file", "--detach-keys"}
_DOCKER_RUN_VALUES = _DOCKER_EXEC_VALUES | {
    "-v", "--volume", "-p", "--publish", "--name", "--network", "--net", "--entrypoint", "--mount", "-l", "--label",
    "--restart", "-m", "--memory", "--cpus", "--platform", "-h", "--hostname", "--add-host", "--dns", "--log-driver",
    "--log-opt", "--device", "--cap-add", "--cap-drop", "--security-opt", "--ulimit", "--shm-size", "--tmpfs",
    "--pull", "--gpus", "--expose", "--link", "--ip", "--health-cmd", "--volumes-from", "--pid", "--ipc",
    "--memory-swap", "--cpu-shares", "-c", "--cidfile", "--stop-signal", "--stop-timeout", "--runtime",
    "--group-add", "--sysctl", "--userns", "--uts", "--label-file", "--network-alias", "--init-path", "--isolation"}


def _compose(args: list[str], stdin: bool, name: str = "docker-compose") -> Needs:
    rest = skip_options(args, with_value={"-f", "--file", "-p", "--project-name", "--env-file", "--profile",
                                           "--project-directory", "--ansi", "--parallel", "--progress", "-c",
                                           "--context"})
    if not rest:
        return PLAIN
    sub, tail = rest[0], rest[1:]
    if sub == "logs":
        return Needs(False, True, f"{name} logs -f follows the logs") if has_flag(tail, "f", "--follow") else PLAIN
    if sub == "up":
        return PLAIN if has_flag(tail, "d", "--detach") or "--wait" in tail else \
            Needs(False, True, f"{name} up without -d stays attached to the logs")
    if sub in ("watch",):
        return Needs(False, True, f"{name} watch runs until stopped")
    if sub == "attach":
        return Needs(True, False, f"{name} attach connects your terminal to the container")
    if sub in ("exec", "run"):
        values = {"-u", "--user", "-w", "--workdir", "-e", "--env", "--index", "--entrypoint", "--name", "-p",
                  "--publish", "-v", "--volume", "-l", "--label"}
        options, positional = split_options(tail, values)
        if has_flag(options, "d", "--detach"):
            return PLAIN
        no_tty = has_flag(options, "T", "--no-TTY") or "--no-tty" in options or "-i=false" in options \
            or "--interactive=false" in options
        inner_words = positional[1:]
        if not inner_words:
            return PLAIN if sub == "run" or no_tty else Needs(True, False, f"{name} {sub} with no command")
        inner = _program_needs(inner_words, stdin and not no_tty)
        if no_tty and inner.terminal:  # the author's non-interactive form
            inner = Needs(False, inner.follow, inner.reason)
        return _inside(inner, f"{name} {sub}")
    return PLAIN


def _kubectl(program: str, args: list[str], stdin: bool) -> Needs:
    rest = skip_options(args, with_value={"-n", "--namespace", "--context", "--kubeconfig", "-s", "--server",
                                           "--cluster", "--user", "--token", "-l", "--selector", "-o", "--output"})
    if not rest:
        return PLAIN
    sub = rest[0]
    tail = rest[1:]
    if program == "minikube":
        if sub in ("ssh",) and "--" not in tail:
            return Needs(True, False, "minikube ssh opens a remote shell")
        if sub in ("dashboard", "tunnel", "mount"):
            return Needs(False, True, f"minikube {sub} runs until stopped")
        return PLAIN
    if sub == "logs":
        return Needs(False, True, f"{program} logs -f follows the log") if has_flag(tail, "f", "--follow") else PLAIN
    if sub in ("get", "rollout") and (has_flag(tail, "w", "--watch") or "--watch-only" in tail):
        return Needs(False, True, f"{program} {sub} -w watches until stopped")
    if sub in ("port-forward", "proxy"):
        return Needs(False, True, f"{program} {sub} runs until stopped")
    if sub == "edit" or (sub in ("create", "apply") and "--edit" in tail):
        return Needs(True, False, f"{program} {sub} opens an editor")
    if sub == "top":
        return PLAIN
    if sub in ("exec", "run", "attach", "debug"):
        own = tail[:tail.index("--")] if "--" in tail else tail
        interactive = has_flag(own, "i", "--stdin")
        tty = has_flag(own, "t", "--tty")
        inner_words = tail[tail.index("--") + 1:] if "--" in tail else []
        if sub == "attach":
            return Needs(True, False, f"{program} attach connects your terminal") if interactive else PLAIN
        if not inner_words:
            if interactive and tty:
                return Needs(True, False, f"{program} {sub} -it opens an interactive session")
            return PLAIN
        inner = _program_needs(inner_words, stdin and interactive)
        if inner.terminal and not interactive:
            inner = Needs(False, inner.follow, inner.reason)
        return _inside(inner, f"{program} {sub}")
    return PLAIN


def _ssh(args: list[str], stdin: bool) -> Needs:
    values = {"-p", "-i", "-l", "-o", "-F", "-J", "-L", "-R", "-D", "-W", "-b", "-c", "-E", "-e", "-m", "-O", "-Q",
              "-S", "-w", "-B", "-I"}
    options, positional = split_options(args, values)
    batch = any(o.replace(" ", "").lower() in ("batchmode=yes", "-obatchmode=yes") for o in
                [options[i + 1] if o == "-o" and i + 1 < len(options) else o for i, o in enumerate(options)])
    forwarding = has_flag(options, "N")
    if not positional:
        return PLAIN
    remote = positional[1:]
    if forwarding:
        return Needs(not batch, True, "ssh -N keeps a tunnel open until stopped")
    if not remote:
        return Needs(True, False, "ssh with no command is a remote login")
    inner = classify(" ".join(remote))  # ssh joins the words and hands them to the remote shell
    if batch or has_flag(options, "T") or has_flag(options, "n"):
        return Needs(False, inner.follow, inner.reason)
    reason = "ssh may ask for a host key or a password"
    return Needs(True, inner.follow, f"{reason}; {inner.reason}" if inner.reason else reason)


def _copy_over_ssh(program: str, args: list[str]) -> Needs:
    batch = any("batchmode=yes" in a.replace(" ", "").lower() for a in args)
    if program == "sftp":
        return PLAIN if batch and "-b" in args else Needs(True, False, "sftp is an interactive session")
    remote = any(re.match(r"^(?:[\w.-]+@)?[\w.-]+:(?!//)", a) and not a.startswith("-") for a in args)
    if remote and not batch:
        return Needs(True, False, f"{program} to another host may ask for a password")
    return PLAIN


def _git(args: list[str]) -> Needs:
    rest = skip_options(args, with_value={"-C", "-c", "--git-dir", "--work-tree", "--namespace"})
    if not rest:
        return PLAIN
    sub, tail = rest[0], rest[1:]
    flags = set(tail)
    if sub == "commit" and not any(a in ("-m", "-F", "--file", "--no-edit", "-C", "--reuse-message", "--fixup")
                                   or a.startswith(("-m", "--message", "--file=", "--fixup=")) or
                                   (a.startswith("-") and not a.startswith("--") and "m" in a[1:]) for a in tail):
        return Needs(True, False, "git commit without -m opens an editor")
    if sub == "rebase" and flags & {"-i", "--interactive"}:
        return Needs(True, False, "git rebase -i opens an editor")
    if sub in ("add", "checkout", "reset", "restore", "stash") and flags & {"-p", "--patch", "-i", "--interactive"}:
        return Needs(True, False, f"git {sub} -p asks about each change")
    if sub == "merge" and not flags & {"--no-edit", "--ff-only", "-m", "--no-commit", "--abort", "--squash"}:
        return PLAIN  # merges run non-interactively unless a conflict stops them
    return PLAIN


def _package_manager(program: str, args: list[str]) -> Needs:
    sub = first_positional(args)
    changing = {"install", "remove", "purge", "upgrade", "dist-upgrade", "full-upgrade", "autoremove", "erase",
                "update" if program in ("yum", "dnf", "zypper") else "", "reinstall", "downgrade", "in", "rm", "up"}
    if sub not in changing - {""}:
        return PLAIN
    yes = any(a in ("-y", "--yes", "--assume-yes", "-qq", "--assumeyes", "--non-interactive", "-n") or
              (a.startswith("-") and not a.startswith("--") and "y" in a[1:]) for a in args)
    return PLAIN if yes else Needs(True, False, f"{program} {sub} asks to confirm (give -y)")


def _node_package_manager(program: str, args: list[str]) -> Needs:
    sub = first_positional(args)
    if sub in ("login", "adduser", "init") and not ("-y" in args or "--yes" in args):
        return Needs(True, False, f"{program} {sub} asks questions")
    if program in ("npm", "pnpm", "bun") and sub in ("run", "run-script"):
        script = first_positional(args[args.index(sub) + 1:])
    elif sub == "start" or program in ("yarn", "pnpm", "bun"):
        script = sub
    else:
        script = None
    if script in _DEV_SCRIPTS or (script and script.split(":")[0] in ("dev", "watch", "serve")):
        return Needs(False, True, f"{program} {'run ' if sub in ('run', 'run-script') else ''}{script} runs until stopped")
    return PLAIN


def _database_client(program: str, args: list[str], stdin: bool) -> Needs:
    flags = set(args)
    if program in ("mysql", "mariadb", "mysqldump", "mysqladmin"):
        if "-p" in flags or "--password" in flags:
            return Needs(True, False, f"{program} -p asks for a password")
        if program in ("mysqldump", "mysqladmin"):
            return PLAIN
        runs = any(a in ("-e", "--execute", "-B", "--batch") or a.startswith(("--execute=", "-e")) for a in args)
        return _repl_unless(runs, stdin, f"{program} with no -e is an interactive client")
    if program in ("psql", "pg_dump", "pg_dumpall", "pg_restore", "createdb", "dropdb", "createuser"):
        if flags & {"-W", "--password"}:
            return Needs(True, False, f"{program} -W asks for a password")
        if program != "psql":
            return PLAIN
        runs = any(a in ("-c", "--command", "-f", "--file", "-l", "--list", "-V", "--version") or
                   a.startswith(("--command=", "--file=", "-c", "-f")) for a in args)
        return _repl_unless(runs, stdin, "psql with no -c is an interactive client")
    if program == "redis-cli":
        values = {"-h", "-p", "-a", "-n", "-u", "--user", "--pass", "-s", "--cacert", "--cert", "--key", "-r", "-i",
                  "--tls-ciphers", "--sni", "-d", "-D"}
        options, positional = split_options(args, values)
        if any(o in ("--stat", "--latency", "--latency-history", "--monitor", "--bigkeys") for o in options) or \
                positional[:1] == ["MONITOR"] or positional[:1] == ["monitor"] or positional[:1] in (["subscribe"],
                                                                                                    ["SUBSCRIBE"]):
            return Needs(False, True, "redis-cli keeps printing until stopped")
        return _repl_unless(bool(positional) or "--scan" in options or "--rdb" in options, stdin,
                            "redis-cli with no command is an interactive client")
    if program in ("mongo", "mongosh"):
        runs = "--eval" in flags or any(a.endswith(".js") for a in args) or any(a.startswith("--eval=") for a in args)
        return _repl_unless(runs, stdin, f"{program} with no --eval is an interactive shell")
    if program == "sqlite3":
        positional = [a for a in args if not a.startswith("-")]
        return _repl_unless(len(positional) >= 2 or "-cmd" in flags and len(positional) >= 2, stdin,
                            "sqlite3 with no SQL is an interactive shell")
    if program == "clickhouse-client":
        runs = any(a in ("-q", "--query") or a.startswith("--query=") for a in args)
        return _repl_unless(runs, stdin, "clickhouse-client with no query is an interactive client")
    if program == "cqlsh":
        return _repl_unless(bool(flags & {"-e", "--execute", "-f", "--file"}), stdin, "cqlsh with no -e is interactive")
    if program == "influx":
        runs = any(a in ("-execute", "--execute", "-import", "query", "write", "bucket", "org", "user", "ping",
                         "setup", "auth", "config", "version") for a in args)
        return _repl_unless(runs, stdin, "influx with no command is an interactive shell")
    return PLAIN


def _repl_unless(runs: bool, stdin: bool, reason: str) -> Needs:
    return PLAIN if runs or not stdin else Needs(True, False, reason)


def _repl(program: str, args: list[str], stdin: bool) -> Needs:
    if program.startswith("python") or program in ("ipython", "ipython3", "bpython"):
        if "-i" in args:
            return Needs(True, False, f"{program} -i ends in an interactive prompt")
        if args and args[0] == "-m" and len(args) > 1:
            module = args[1]
            if module == "http.server":
                return Needs(False, True, "python -m http.server serves until stopped")
            if module in ("uvicorn", "gunicorn", "hypercorn", "flask", "celery", "daphne"):
                return _known(module, args[2:], stdin)
            if module in ("pdb", "code", "asyncio"):
                return Needs(True, False, f"python -m {module} is interactive")
            return PLAIN
        script = next((a for a in args if not a.startswith("-")), None)
        if script and script.endswith("manage.py"):
            command = first_positional(args[args.index(script) + 1:])
            if command in ("shell", "dbshell", "shell_plus"):
                return Needs(True, False, f"manage.py {command} is an interactive console")
            if command in ("runserver", "runserver_plus"):
                return Needs(False, True, "manage.py runserver serves until stopped")
            if command in ("createsuperuser", "changepassword", "makemigrations", "migrate", "flush",
                           "collectstatic") and not set(args) & {"--noinput", "--no-input"}:
                if command in ("createsuperuser", "changepassword"):
                    return Needs(True, False, f"manage.py {command} asks for a password")
            return PLAIN
        if args and any(a == "-c" or (a.startswith("-") and a.endswith("c") and not a.startswith("--"))
                        for a in args) or script:
            return PLAIN
        return Needs(True, False, f"{program} with nothing to run is a REPL") if stdin else PLAIN
    if program == "node":
        if any(a in ("-e", "--eval", "-p", "--print", "-v", "--version", "-c", "--check") for a in args):
            return PLAIN
        script = next((a for a in args if not a.startswith("-")), None)
        if script == "inspect":
            return Needs(True, False, "node inspect is an interactive debugger")
        if script or any(a.startswith("--watch") for a in args):
            return Needs(False, True, "node --watch runs until stopped") if any(
                a.startswith("--watch") for a in args) else PLAIN
        return Needs(True, False, "node with nothing to run is a REPL") if stdin else PLAIN
    if program == "bun":
        return PLAIN
    if any(not a.startswith("-") for a in args) or any(a in ("-e", "-c", "-r", "--eval", "-v", "--version")
                                                        for a in args):
        return PLAIN
    return Needs(True, False, f"{program} with nothing to run is a REPL") if stdin else PLAIN


def _inside(inner: Needs, wrapper: str) -> Needs:
    if inner.plain:
        return PLAIN
    return Needs(inner.terminal, inner.follow, f"{inner.reason} (in {wrapper})")


_RULES = {
    "tail": _tail, "journalctl": _journalctl, "dmesg": _dmesg, "ping": _ping, "ping6": _ping, "tcpdump": _tcpdump,
    **dict.fromkeys(("vmstat", "iostat", "mpstat", "sar", "pidstat", "dstat"), _every_n_seconds),
    **dict.fromkeys(("inotifywait", "strace", "nc", "ncat", "socat"), _listens),
    "pm2": _pm2, "heroku": _heroku, "fly": _fly, "flyctl": _fly,
    "stern": lambda program, args, stdin: _follows("stern streams logs until stopped"),
    **dict.fromkeys(("docker", "podman", "nerdctl"), lambda program, args, stdin: _docker(program, args, stdin)),
    "docker-compose": lambda program, args, stdin: _compose(args, stdin),
    **dict.fromkeys(("kubectl", "oc", "minikube"), lambda program, args, stdin: _kubectl(program, args, stdin)),
    "ssh": lambda program, args, stdin: _ssh(args, stdin),
    **dict.fromkeys(("scp", "sftp", "rsync"), lambda program, args, stdin: _copy_over_ssh(program, args)),
    "ssh-keygen": _ssh_keygen, "htpasswd": _secrets_tools, "gpg": _secrets_tools,
    "crontab": _editing_subcommand, "systemctl": _editing_subcommand,
    "git": lambda program, args, stdin: _git(args),
    **dict.fromkeys(("apt", "apt-get", "aptitude", "yum", "dnf", "zypper"),
                    lambda program, args, stdin: _package_manager(program, args)),
    "pip": _pip, "pip3": _pip, "certbot": _certbot,
    **dict.fromkeys(("npm", "yarn", "pnpm", "bun"), lambda program, args, stdin: _node_package_manager(program, args)),
    "npx": _npx, "bunx": _npx,
    **dict.fromkeys(("vite", "next", "nuxt", "hugo", "jekyll"), _site_server),
    **dict.fromkeys(("tsc", "jest", "vitest", "cargo"), _watcher),
    "rails": _rails, "php": _php, **dict.fromkeys(_SERVERS, _server),
    **dict.fromkeys(("mysql", "mariadb", "mysqldump", "mysqladmin", "psql", "pg_dump", "pg_dumpall", "pg_restore",
                     "createdb", "dropdb", "createuser", "redis-cli", "mongo", "mongosh", "sqlite3",
                     "clickhouse-client", "cqlsh", "influx"), lambda program, args, stdin: _database_client(
                         program, args, stdin)),
    **dict.fromkeys(("gh", "az", "gcloud", "aws"), _cloud_login),
    "terraform": _terraform, "dotnet": _dotnet, "deno": _deno,
}
