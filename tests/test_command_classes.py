"""What a command needs, read from its shape; terminal output made plain; every expected-result form."""

from __future__ import annotations

import pytest

from kb.parse.escapes import safe_sgr, strip_escapes
from kb.runs.expect import check
from kb.runs.runbooks import Step, StepCommand
from kb.runs.terminal import classify, unattended_problem

TERMINAL = [
    ("sudo systemctl restart api", "sudo may ask for a password"),
    ("read -p 'Continue? ' answer", "read waits for a line from you"),
    ("docker exec -it db psql -U app", "psql with no -c is an interactive client (in docker exec)"),
    ("docker exec -it cache sh", "sh with nothing to run is an interactive shell (in docker exec)"),
    ("kubectl exec -it web-0 -- bash", "bash with nothing to run is an interactive shell (in kubectl exec)"),
    ("docker run -it --rm --entrypoint /bin/sh shop-api:1.4", "docker run -it with no command opens the image's shell"),
    ("docker compose exec db psql -U shop", "psql with no -c is an interactive client (in docker compose exec)"),
    ("ssh deploy@web-1", "ssh with no command is a remote login"),
    ("ssh -p 2222 ops@10.0.0.9 uptime", "ssh may ask for a host key or a password"),
    ("scp build.tar.gz ops@web-1:/srv/", "scp to another host may ask for a password"),
    ("mysql -u root -p shop", "mysql -p asks for a password"),
    ("psql -h db -U app", "psql with no -c is an interactive client"),
    ("redis-cli -h cache", "redis-cli with no command is an interactive client"),
    ("python3", "python3 with nothing to run is a REPL"),
    ("vim /etc/nginx/nginx.conf", "vim is an editor"),
    ("nano .env", "nano is an editor"),
    ("kubectl edit deploy/web", "kubectl edit opens an editor"),
    ("git commit", "git commit without -m opens an editor"),
    ("less /var/log/app.log", "less is a pager"),
    ("apt install nginx", "apt install asks to confirm (give -y)"),
    ("python manage.py createsuperuser", "manage.py createsuperuser asks for a password"),
    ("docker login registry.example.com", "docker login asks for a password"),
]

FOLLOW = [
    ("tail -f /var/log/app.log", "tail -f follows the file"),
    ("tail -n 200 -F /var/log/app.log", "tail -f follows the file"),
    ("docker logs -f api", "docker logs -f follows the log"),
    ("docker compose logs --follow api", "docker compose logs -f follows the logs"),
    ("docker-compose -f prod.yml logs -f", "docker-compose logs -f follows the logs"),
    ("kubectl logs -f deploy/web -n shop", "kubectl logs -f follows the log"),
    ("journalctl -u nginx -f", "journalctl -f follows the journal"),
    ("pm2 logs api", "pm2 logs streams until stopped"),
    ("kubectl get pods -w", "kubectl get -w watches until stopped"),
    ("ping cache-1", "ping runs until stopped"),
    ("docker compose up", "docker compose up without -d stays attached to the logs"),
    ("npm run dev", "npm run dev runs until stopped"),
    ("docker exec web tail -f /var/log/nginx/error.log", "tail -f follows the file (in docker exec)"),
]

BOTH = ["top", "htop", "watch -n 2 'docker ps'", "sudo tail -f /var/log/syslog"]

PLAIN = [
    "python3 -c 'import sys; print(sys.stdin.isatty(), sys.stdout.isatty())'",
    "ls --color=auto /srv", "grep --color=auto -n ERROR app.log", "curl -fsS -i http://localhost:8000/health",
    "docker logs api --tail 100", "docker logs -f api | head -50", "docker compose up -d",
    "docker exec -it db psql -U app -c 'select 1'", "docker exec -it db mysql -uapp -p\"$DB_PASS\" -e 'show tables'",
    "cat schema.sql | docker exec -i db mysql -uapp -p\"$DB_PASS\" shop", "docker compose exec -T db psql -U shop",
    "docker compose exec cache redis-cli ping", "kubectl exec web-0 -- ls -la", "psql -h db -c 'select 1'",
    "sudo -n systemctl restart api", "ssh -T ops@web-1 uptime", "ssh -o BatchMode=yes ops@web-1 uptime",
    "ping -c 3 cache-1", "top -b -n 1", "timeout 10 tail -f /var/log/app.log", "git commit -am 'fix: retry'",
    "git --no-pager log -3", "journalctl -u nginx --no-pager -n 50", "apt-get install -y nginx",
    "python manage.py migrate", "npm run build", "command -v vim", "read -r name < /etc/hostname",
    "python3 --version", "psql --version", "node -v",
    "python -m uvicorn app:api --reload 2>&1 | head -20",
]


@pytest.mark.parametrize("command,reason", TERMINAL)
def test_commands_that_ask_the_operator_need_a_terminal(command, reason):
    needs = classify(command)
    assert needs.terminal and not needs.follow, needs
    assert needs.reason == reason


@pytest.mark.parametrize("command,reason", FOLLOW)
def test_commands_that_run_until_stopped_are_follow_mode(command, reason):
    needs = classify(command)
    assert needs.follow and not needs.terminal, needs
    assert needs.reason == reason


@pytest.mark.parametrize("command", BOTH)
def test_full_screen_and_privileged_follow_commands_are_both(command):
    needs = classify(command)
    assert needs.terminal and needs.follow, needs


@pytest.mark.parametrize("command", PLAIN)
def test_commands_that_only_print_or_have_a_non_interactive_form_are_plain(command):
    assert classify(command).plain, classify(command)


def test_an_unattended_run_is_refused_naming_the_first_step_that_needs_someone():
    steps = [Step("Check `health`", commands=[StepCommand("curl -fsS http://localhost/health")]),
             Step("Restart", commands=[StepCommand("sudo -n systemctl restart api")]),
             Step("Open the DB shell", commands=[StepCommand("docker exec -it db psql")])]
    problem = unattended_problem(steps)
    assert problem.startswith("step 3 (Open the DB shell) needs a terminal: `docker exec -it db psql`")
    assert unattended_problem(steps[:2]) is None
    follow = unattended_problem([Step("Watch", commands=[StepCommand("journalctl -fu api")])])
    assert follow.startswith("step 1 (Watch) runs until stopped")


# -- terminal output made plain ---------------------------------------------------------------------------

def test_escapes_are_removed_and_redraws_applied():
    raw = ("\x1b[01;34mdist\x1b[0m  app.py\r\n\x1b]0;a title\x07pull 10%\rpull 100%\r\n"
           "\x1b[2K\x1b[1Gready\x1b[?25h\r\nab\bc\r\n")
    assert strip_escapes(raw) == "dist  app.py\npull 100%\nready\nac\n"


def test_only_colour_reaches_the_operators_terminal():
    line = "\x1b[1;31mERROR\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07 \x1b[8mhidden\x1b[0m\x1b[2J\x07"
    shown = safe_sgr(line)
    assert shown == "\x1b[1;31mERROR\x1b[0m link hidden\x1b[0m"
    assert safe_sgr("\x1b[38;5;196mred\x1b[m") == "\x1b[38;5;196mred\x1b[0m"


# -- every expected-result form README documents, in both languages ---------------------------------------

FORMS = [
    # (expected line as written, command, exit code, output, verdict)
    ("exit 0", "true", 0, "", True),
    ("exit 0", "false", 1, "", False),
    ("exit code 0", "true", 0, "", True),
    ("exits 0", "true", 0, "", True),
    ("返回码 0", "true", 0, "", True),
    ("返回码 0", "false", 1, "", False),
    ("退出码为 0", "true", 0, "", True),
    ("返回码：0", "true", 0, "", True),
    ("exit 0 and prints \"ready\"", "echo ready", 0, "ready\n", True),
    ("返回码 0，输出 \"ready\"", "echo nope", 0, "nope\n", False),
    ("HTTP 200", "curl -i http://x", 0, "HTTP/1.1 200 OK\n", True),
    ("HTTP 200", "curl -i http://x", 0, "HTTP/1.1 503 Service Unavailable\n", False),
    ("返回 HTTP 200", "curl -i http://x", 0, "HTTP/2 200\n", True),
    ("/act(ive|ivating)/", "systemctl is-active api", 0, "active\n", True),
    ("/^running$/", "status", 0, "stopped\n", False),
    ("no output", "git status --porcelain", 0, "", True),
    ("no output", "git status --porcelain", 0, " M app.py\n", False),
    ("无输出", "git status --porcelain", 0, "", True),
    ("无输出", "git status --porcelain", 0, " M app.py\n", False),
    ("active", "systemctl is-active api", 0, "active\n", True),
    ("active", "systemctl is-active api", 3, "inactive\n", False),  # a word, not a piece of another
    ("预期输出 active", "systemctl is-active api", 0, "active\n", True),
    ("\"Up\"", "docker ps", 0, "api   Up 3 minutes\n", True),
    ("显示 \"healthy\"", "docker inspect api", 0, "\"Status\": \"healthy\"\n", True),
    ("显示 \"healthy\"", "docker inspect api", 0, "\"Status\": \"starting\"\n", False),
    ("容器状态为 running", "docker inspect api", 0, "running\n", True),
]


@pytest.mark.parametrize("expected,command,code,output,verdict", FORMS)
def test_every_documented_expected_form_is_checked(expected, command, code, output, verdict):
    assert check(expected, command, code, output).passed is verdict


def test_prose_nobody_can_check_is_left_to_the_operator():
    assert check("服务恢复正常", "systemctl restart api", 0, "").passed is None
    assert check("the page loads again", "systemctl restart api", 0, "").passed is False  # ASCII: a literal


def test_expected_exit_0_from_a_runbook_passes_end_to_end(runner, kb):
    from conftest import run_cli

    kb.repo.config_writer().set_value("user", "name", "Ann Op").release()
    kb.repo.config_writer().set_value("user", "email", "ann@example.com").release()
    (kb.runbooks_dir / "exits.md").write_text(
        "---\ntrusted: true\n---\n# Exits\n\n- [ ] English\n  ```bash\n  true\n  # expected: exit 0\n  ```\n"
        "- [ ] 中文\n  ```bash\n  true\n  # 预期：返回码 0\n  ```\n", encoding="utf-8")
    kb.close()
    run_cli(runner, kb.root, "trust", "exits", "--yes")  # --yes runs only what this operator trusted
    result = run_cli(runner, kb.root, "run", "exits", "--no-tui", "--yes")
    assert result.exit_code == 0, result.output
    assert result.output.count("✓ exit code 0") == 2
