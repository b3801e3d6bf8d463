"""Parse mermaid `graph`/`flowchart` blocks into nodes and labelled edges.

Only the subset reports use: node shapes `A[..] A(..) A{..} A((..)) A([..])
A[[..]] A>..] A{{..}}`, edges `-->`, `---`, `-.->`, `==>`, with labels as
`-->|是|` or `-- yes -->`, chains `A --> B --> C` and `A & B --> C`.
A `{...}` node is a question; the walk offers its out-edges' labels.

Not every flowchart is something to walk: reports draw architecture (services
in `subgraph`s, one box fanning out to many) beside the troubleshooting tree.
`classify` tells them apart: a **decision tree** has a start, asks something
(question nodes, or branches whose edges carry the answers) and reaches an
end; everything else is a **diagram**, kept for reading but never run.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_HEADER_RE = re.compile(r"^\s*(graph|flowchart)\b\s*(\w+)?", re.IGNORECASE)
_NODE_RE = re.compile(
    r"\s*([A-Za-z0-9_\u3400-\u9fff][\w\u3400-\u9fff-]*)"
    r"(\(\(.*?\)\)|\(\[.*?\]\)|\[\[.*?\]\]|\[\(.*?\)\]|\{\{.*?\}\}|\[/.*?/\]|\[.*?\]|\(.*?\)|\{.*?\}|>.*?\])?"
)
_EDGE_RE = re.compile(
    r"\s*(?:(?P<pre>--|==|-\.)\s*(?P<mid>[^|>-][^>]*?)\s*)?"
    r"(?P<op>-\.->|-->|==>|---|-\.-|===|--x|--o|->)"
    r"(?:\s*\|(?P<label>[^|]*)\|)?"
)
_SHAPES = (("((", "))", "circle"), ("([", "])", "stadium"), ("[[", "]]", "subroutine"), ("[(", ")]", "cylinder"),
           ("{{", "}}", "hexagon"),
           ("[/", "/]", "parallelogram"), ("[", "]", "box"), ("(", ")", "round"), ("{", "}", "decision"), (">", "]", "flag"))


DECISION_TREE = "decision tree"
DIAGRAM = "diagram"
_BREAK_RE = re.compile(r"<br\s*/?>|\r?\n", re.IGNORECASE)
_MERMAID_ENTITY_RE = re.compile(r"#(\d+|quot|amp|lt|gt|apos|nbsp);")
_MERMAID_ENTITIES = {"quot": '"', "amp": "&", "lt": "<", "gt": ">", "apos": "'", "nbsp": " "}
_QUESTION_END_RE = re.compile(r"(?:[?？]|吗|么)\s*[\"'”」)）]*\s*$")


@dataclass
class Flowchart:
    direction: str
    nodes: dict[str, dict] = field(default_factory=dict)  # id -> {"text", "shape"}
    edges: list[dict] = field(default_factory=list)  # {"src", "dst", "label"}
    subgraphs: int = 0

    def to_dict(self) -> dict:
        return {"direction": self.direction, "nodes": [{"id": k, **v} for k, v in self.nodes.items()],
                "edges": self.edges, "kind": classify(self.nodes_list(), self.edges, self.subgraphs)}

    def nodes_list(self) -> list[dict]:
        return [{"id": k, **v} for k, v in self.nodes.items()]


def join_label(label: str) -> str:
    """A node label as one line of text: `<br/>` and line breaks joined with a space, mermaid's `#quot;` and
    HTML's `&quot;` entities read (`docker start<br/>api` is the command `docker start api`)."""
    if "<" in label or "\n" in label:
        label = " ".join(part.strip() for part in _BREAK_RE.split(label) if part.strip())
    if "#" in label:
        label = _MERMAID_ENTITY_RE.sub(lambda m: chr(int(m.group(1))) if m.group(1).isdigit()
                                       else _MERMAID_ENTITIES[m.group(1)], label)
    if "&" in label:
        label = html.unescape(label)
    return label


def is_question(node: dict) -> bool:
    """A diamond `{…}`, or text that asks: ends in `?`, `？` or `吗`."""
    return node.get("shape") == "decision" or bool(_QUESTION_END_RE.search(node.get("text", "")))


def start_node(nodes: list[dict], edges: list[dict]) -> str | None:
    """The first node nothing leads to (None when every node has a way in)."""
    targets = {edge["dst"] for edge in edges}
    return next((node["id"] for node in nodes if node["id"] not in targets), None)


def classify(nodes: list[dict], edges: list[dict], subgraphs: int = 0) -> str:
    """decision_tree or diagram (see the module docstring for the rule)."""
    start = start_node(nodes, edges)
    if not nodes or not edges or start is None or not _reaches_end(start, edges):
        return DIAGRAM
    if any(is_question(node) for node in nodes):
        return DECISION_TREE
    outgoing: dict[str, list[dict]] = {}
    for edge in edges:
        outgoing.setdefault(edge["src"], []).append(edge)
    fans = [out for out in outgoing.values() if len(out) >= 2]
    answered = any(all(edge["label"] for edge in out) for out in fans)
    # one box feeding several others with no answer on the edges is structure (services, workers), not a choice
    structural = subgraphs > 0 or any(not all(edge["label"] for edge in out) for out in fans) \
        or any(node.get("shape") == "cylinder" for node in nodes)
    return DECISION_TREE if answered and not structural else DIAGRAM


def _reaches_end(start: str, edges: list[dict]) -> bool:
    outgoing: dict[str, list[str]] = {}
    for edge in edges:
        outgoing.setdefault(edge["src"], []).append(edge["dst"])
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if not outgoing.get(node):
            return True
        stack.extend(outgoing[node])
    return False


def is_flowchart(code: str) -> bool:
    for line in code.splitlines():
        if line.strip() and not line.strip().startswith("%%"):
            return _HEADER_RE.match(line) is not None
    return False


def parse_flowchart(code: str) -> Flowchart | None:
    lines = [line for line in code.splitlines() if line.strip() and not line.strip().startswith("%%")]
    if not lines:
        return None
    header = _HEADER_RE.match(lines[0])
    if not header:
        return None
    chart = Flowchart(direction=(header.group(2) or "TD").upper())
    for line in lines[1:]:
        if line.split() and line.split()[0] == "subgraph":
            chart.subgraphs += 1
        for statement in _statements(line):
            _statement(chart, statement.strip())
    return chart


def _statements(line: str) -> list[str]:
    """A line's statements, split at `;` outside labels (a label's `#quot;` entity holds one)."""
    if ";" not in line:
        return [line]
    parts, depth, quote, start = [], 0, False, 0
    for i, char in enumerate(line):
        if char == '"':
            quote = not quote
        elif quote:
            continue
        elif char in "[({":
            depth += 1
        elif char in "])}":
            depth = max(depth - 1, 0)
        elif char == ";" and depth == 0:
            parts.append(line[start:i])
            start = i + 1
    parts.append(line[start:])
    return parts


def _statement(chart: Flowchart, text: str) -> None:
    if not text or text.split()[0] in ("subgraph", "end", "classDef", "class", "style", "linkStyle", "click", "direction"):
        return
    pos = 0
    previous: list[str] = []
    pending_label = ""
    while pos < len(text):
        group, pos = _node_group(chart, text, pos)
        if not group:
            return
        if previous:
            for src in previous:
                for dst in group:
                    chart.edges.append({"src": src, "dst": dst, "label": pending_label})
        previous = group
        edge = _EDGE_RE.match(text, pos)
        if not edge:
            return
        pending_label = (edge.group("label") or edge.group("mid") or "").strip().strip('"')
        pos = edge.end()


def _node_group(chart: Flowchart, text: str, pos: int) -> tuple[list[str], int]:
    ids: list[str] = []
    while True:
        match = _NODE_RE.match(text, pos)
        if not match or not match.group(1):
            return ids, pos
        node_id, shape_text = match.group(1), match.group(2)
        _add_node(chart, node_id, shape_text)
        ids.append(node_id)
        pos = match.end()
        amp = re.match(r"\s*&", text[pos:])
        if not amp:
            return ids, pos
        pos += amp.end()


def _add_node(chart: Flowchart, node_id: str, shape_text: str | None) -> None:
    if shape_text:
        for opener, closer, shape in _SHAPES:
            if shape_text.startswith(opener) and shape_text.endswith(closer):
                label = join_label(shape_text[len(opener): len(shape_text) - len(closer)].strip().strip('"'))
                chart.nodes[node_id] = {"text": label, "shape": shape}
                return
    chart.nodes.setdefault(node_id, {"text": node_id, "shape": "box"})
