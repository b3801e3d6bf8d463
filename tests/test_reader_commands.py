"""Commands as a reader sees them (kb/parse/checklists.py): PowerShell fences, unlabelled fences of
command lines, paragraphs that are command lines (a fence lost in a wiki export), whole commands set as
code in prose; and what is not a command (a log in an unlabelled fence, a sentence about a command, a
command cut short). Our own text, in the shapes real reports use."""

from __future__ import annotations

from kb.parse.report import parse_report


def commands_of(text: str) -> list[str]:
    return [c.command for c in parse_report(text, "t.md").commands]


POWERSHELL = """# Windows build agent

## Check the agent

```powershell
# is the service up?
Get-Service buildagent
docker ps --filter "name=agent" --format "{{.Status}}"
Restart-Service buildagent
```
"""


def test_a_powershell_fence_gives_its_commands():
    assert commands_of(POWERSHELL) == [
        "Get-Service buildagent", 'docker ps --filter "name=agent" --format "{{.Status}}"', "Restart-Service buildagent"]


UNLABELLED = """# Registry recovery

Recovery needed only a restart of the registry pod:

```
kubectl -n tools delete pod -l app=registry
kubectl -n tools rollout status deploy/registry
```

The client printed:

```
npm error code ERESOLVE
npm error Could not resolve dependency: peer react@"^17" from the chart widget
```
"""


def test_an_unlabelled_fence_of_command_lines_gives_commands_and_a_printed_error_does_not():
    assert commands_of(UNLABELLED) == [
        "kubectl -n tools delete pod -l app=registry", "kubectl -n tools rollout status deploy/registry"]


WIKI_EXPORT = """# Pod stuck in Pending

**Command:**

kubectl describe pod <pod-name> -n <namespace>

Look at the events at the bottom.

kubectl get nodes -o wide

kubectl get pods shows STATUS: Pending for every replica

node affinity
"""


def test_paragraphs_that_are_command_lines_are_commands_and_sentences_about_one_are_not():
    assert commands_of(WIKI_EXPORT) == ["kubectl describe pod <pod-name> -n <namespace>", "kubectl get nodes -o wide"]


PROSE = """# Night of the full disk

The runner filled /var again. After `journalctl --vacuum-time=2d` and `docker builder prune -af` it had room
again; we had tried `helm upgrade` and `kubectl apply -f` first, which changed nothing.
"""


def test_whole_commands_set_as_code_in_prose_are_commands_and_fragments_are_not():
    assert commands_of(PROSE) == ["journalctl --vacuum-time=2d", "docker builder prune -af"]


NESTED_PARAGRAPH = """# Cutover

**Steps:**

1. Stop the writers

   Run `kubectl scale deploy/writer --replicas=0 -n billing` and wait for the pods to go.

2. Promote the replica

   ```bash
   pg_ctl promote -D /var/lib/postgresql/data
   ```
"""


def test_a_paragraph_inside_a_step_gives_its_commands_to_that_step():
    report = parse_report(NESTED_PARAGRAPH, "t.md")
    procedure = next(c for c in report.checklists if c.kind == "procedure")
    index = report.checklists.index(procedure)
    by_step = [[c.command for c in report.commands if c.checklist == index and c.item == item]
               for item in range(len(procedure.items))]
    assert by_step == [["kubectl scale deploy/writer --replicas=0 -n billing"],
                       ["pg_ctl promote -D /var/lib/postgresql/data"]]
