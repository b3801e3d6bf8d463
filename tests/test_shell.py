"""Shell blocks split into commands the way a shell reads them (checked against `bash -n`)."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.parse.shell import split_commands
from kb.parse.shell_syntax import accepts, status

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to check shell syntax")

MULTILINE_CURL = """# 2. 触发部署
curl -X POST "https://deploy.example.test/api/v2/releases" \\
  -H "Authorization: Bearer ${DEPLOY_TOKEN}" \\
  -H "Content-Type: application/json" \\
  -d '{
  "service": "ledger-api",
  "git_ref": "release/2026.03",
  "replicas": 3
}'
# 预期: HTTP 202
"""


def test_a_quote_spanning_lines_is_one_command_with_its_comment_and_expectation():
    commands = split_commands(MULTILINE_CURL, "bash")
    assert len(commands) == 1
    command = commands[0]
    assert command.command.startswith('curl -X POST "https://deploy.example.test/api/v2/releases"')
    assert command.command.rstrip().endswith("}'")
    assert '"replicas": 3' in command.command
    assert command.comment == "2. 触发部署"
    assert command.expected == "HTTP 202"
    assert command.line == 2
    assert accepts(command.command)


COMPOUND = """# restart only when the unit is loaded
if systemctl list-units --all | grep -q ledger-api; then
  sudo systemctl restart ledger-api
else
  echo "ledger-api is not installed" >&2
fi
for port in 8080 8081; do
  curl -fsS "http://127.0.0.1:${port}/ready"
done
while read -r host; do ssh "$host" uptime; done < hosts.txt
case "$ENVIRONMENT" in
  prod) echo "careful";;
  *) echo "fine";;
esac
cat > /etc/ledger/limits.conf <<'CONF'
max_connections = 200
# a comment inside the heredoc stays in it
CONF
rotate_logs() {
  find /var/log/ledger -name '*.log' -mtime +7 -delete
}
{ date; df -h /var; } 2>&1 | tee disk.txt
sudo journalctl -u ledger-api \\
  --since "10 min ago" \\
  --no-pager
echo "$(( $(nproc) * 2 )) workers"
"""


def test_compound_commands_heredocs_functions_and_groups_stay_whole():
    commands = [c.command for c in split_commands(COMPOUND, "bash")]
    assert [c.split()[0] for c in commands] == [
        "if", "for", "while", "case", "cat", "rotate_logs()", "{", "sudo", "echo"]
    assert commands[0].endswith("fi") and "else" in commands[0]
    assert commands[4].endswith("CONF") and "# a comment inside the heredoc" in commands[4]
    assert commands[7] == 'sudo journalctl -u ledger-api --since "10 min ago" --no-pager'
    for command in commands:
        assert accepts(command), command
    assert split_commands(COMPOUND, "bash")[0].comment == "restart only when the unit is loaded"


def test_console_blocks_follow_continuation_prompts():
    code = "$ for node in a b; do\n> echo \"$node\"\n> done\na\nb\n$ uptime\n 10:00 up 3 days\n"
    commands = split_commands(code, "console")
    assert [c.command for c in commands] == ['for node in a b; do\necho "$node"\ndone', "uptime"]
    assert commands[0].expected == "a\nb"


def test_pasted_output_in_a_shell_block_is_not_a_command():
    code = "docker compose logs web\n\nweb-1  | booting worker\nweb-1 exited with code 3 (restarting)\n"
    assert [c.command for c in split_commands(code, "bash")] == ["docker compose logs web", "web-1  | booting worker"]


def test_placeholders_do_not_make_a_command_unrunnable():
    assert [c.command for c in split_commands("ssh <user>@<host> 'systemctl status ledger'\n", "bash")] == [
        "ssh <user>@<host> 'systemctl status ledger'"]


def test_a_block_cut_off_mid_quote_keeps_no_fragments():
    code = "curl -d '{\n  \"a\": 1,\n...\n"
    assert split_commands(code, "bash") == []


def test_status_distinguishes_open_from_broken():
    assert status("echo hi") == "complete"
    assert status("if true; then") == "incomplete"
    assert status("echo 'open") == "incomplete"
    assert status("cat <<EOF\nbody") == "incomplete"
    assert status("echo a )") == "invalid"
    assert status("fi") == "invalid"


# Shapes where tree-sitter's error-tolerant grammar and bash disagree unless read with care: each one
# is answered as `bash -n` answers it (invalid: `| !`, a call written as in Python or JS, a stray closer;
# complete: a JSON line, which is a word to bash; incomplete: what a later line can still close).
@pytest.mark.parametrize("text, verdict", [
    ("journalctl -u web | ! grep -q panic", "invalid"),
    ("print('ledger ready')", "invalid"),
    ("client.close(timeout=5)", "invalid"),
    ("echo done )", "invalid"),
    ("done", "invalid"),
    ('{"status":"ok"}', "complete"),
    ('{"status":"ok"}\n', "complete"),
    ("! grep -q panic /var/log/web.log", "complete"),
    ("{ date; uptime; } > /tmp/health.txt", "complete"),
    ("x=$(", "incomplete"),
    ("{ date;", "incomplete"),
    ("rotate() {", "incomplete"),
    ("while read -r host; do", "incomplete"),
    ("echo ${HOME:-", "incomplete"),
    ('[[ -n "$URL" &&', "incomplete"),
])
def test_status_agrees_with_bash_where_the_grammar_is_lenient(text, verdict):
    assert status(text) == verdict
    assert status(text, strict=True) == verdict  # bash -n itself says the same


# -- property: the commands of an accepted block, joined, are an accepted script -------------------

PIECES = [
    "systemctl status ledger-api --no-pager",
    "# 1. check the service",
    "# expected: active (running)",
    "# 预期：返回 200",
    "",
    'docker compose -f compose.prod.yml ps --format "{{.Name}} {{.Status}}"',
    'curl -fsS -X POST "http://localhost:8000/api/jobs" \\\n  -H "Content-Type: application/json" \\\n'
    "  -d '{\n  \"name\": \"reindex\",\n  \"force\": true\n}'",
    "if [ -f /etc/ledger/env ]; then\n  . /etc/ledger/env\nfi",
    "for f in /var/log/ledger/*.log; do\n  gzip \"$f\"\ndone",
    "case \"$1\" in\n  start) echo starting;;\n  stop) echo stopping;;\nesac",
    "cat <<EOF > /tmp/notice.txt\nmaintenance at 22:00\nEOF",
    "tee /etc/sysctl.d/90-ledger.conf <<-'SYSCTL'\n\tvm.swappiness = 10\n\tSYSCTL",
    'git commit -m "$(cat <<\'MSG\'\nfix: pin the base image\n\nwhy: the slim tag moved\nMSG\n)"',
    "reload() {\n  sudo nginx -t && sudo systemctl reload nginx\n}",
    "{ uptime; free -m; } > health.txt",
    "kubectl -n ledger rollout status deploy/ledger-api \\\n  --timeout=120s",
    "ports=(8080 8081)",
    '[[ -n "$LEDGER_URL" ]] && echo "url set"',
    "echo $((60 * 60))",
    "ps aux | grep '[g]unicorn' | wc -l",
    "echo 'unclosed",
    "fi",
    "done",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8))
def test_joined_commands_are_accepted_whenever_the_block_is(pieces):
    block = "\n".join(pieces) + "\n"
    commands = split_commands(block, "bash")
    if accepts(block):
        assert accepts("\n".join(c.command for c in commands) + "\n")
        for command in commands:
            assert accepts(command.command), command.command


def test_a_long_heredoc_is_one_command_and_a_stray_quote_swallows_what_a_shell_would():
    body = "\n".join(f"line {i}: it's fine" for i in range(3000))
    block = f"echo start\ncat > notes.txt <<EOF\n{body}\nEOF\necho done\n"
    assert [c.command.split("\n")[0] for c in split_commands(block, "bash")] == [
        "echo start", "cat > notes.txt <<EOF", "echo done"]
    pasted = "don't restart before the backup\n" + "\n".join(f"web-1 | served {i}" for i in range(3000))
    assert split_commands(pasted + "\nsystemctl status web\n", "bash") == []  # bash reads it all as one open quote


def test_a_comment_after_a_quoted_argument_is_the_commands_comment_not_part_of_it():
    code = ("free -m  # Linux\n"
            "ps aux | grep '[w]orker' | wc -l    # 统计 worker 进程数\n"
            'echo "build #42 # of 50" # banner\n'
            "grep -c 'a # b' app.log\n")
    commands = split_commands(code, "bash")
    assert [(c.command, c.comment) for c in commands] == [
        ("free -m", "Linux"),
        ("ps aux | grep '[w]orker' | wc -l", "统计 worker 进程数"),
        ('echo "build #42 # of 50"', "banner"),
        ("grep -c 'a # b' app.log", ""),
    ]


def test_a_block_with_a_prompt_below_its_first_line_is_a_transcript_and_a_glued_prompt_is_a_prompt():
    code = ("Last login: Mon Mar  2 09:12:44 from 10.0.0.8\n"
            "$df -h /var\n"  # a prompt whose space was dropped
            "Filesystem      Size  Used Avail Use% Mounted on\n"
            "/dev/vda1        40G   39G  1.0G  98% /\n"
            "$ sudo du -sh /var/log/* | sort -h | tail -3\n"
            "1.2G    /var/log/journal\n")
    commands = split_commands(code, "bash")
    assert [c.command for c in commands] == ["df -h /var", "sudo du -sh /var/log/* | sort -h | tail -3"]
    assert commands[0].expected.startswith("Filesystem")
