"""Onboarding quality: does a topic's walkthrough show that topic's material, and all of it that matters?

    python bench/onboarding_quality.py [--corpus ../shared/corpus] [--seeds ../shared/seeds] [--show-misses]

One KB of the corpus reports and the seed reports (both real reports by other teams; the run skips
cleanly when they are absent). For every topic `runbook onboard` lists with at least 3 reports, the
walkthrough is read exactly as a user gets it in a pipe: the Markdown that `runbook onboard TOPIC`
prints (a subprocess, stdout not a terminal). Nothing else of the product is consulted for what is
shown.

- precision: of the items shown (error blocks `### eN · …`, procedure and checklist blocks `### cN · …`,
  `### fN`, and every other `###` block: set-up passages and lessons; timeline rows), the share whose
  printed text names the topic. An item's text is its heading and body, without the `*From …*` line
  that says which report it comes from (a report's file name names its subjects, not the item's).
  Practice pages repeat errors and procedures already counted, so they are not counted again.
- recall: of the KB's errors that concern the topic (their title, message, log, symptom, cause or fix
  names it, read from the KB's SQLite), the share shown as an error block, out of all of them or 20
  when there are more (a walkthrough shows 20 errors in full and lists the rest by ref).

"Names the topic" is decided here, by a fixed list of names per topic written for this bench and a
matcher of its own (a name is a whole word: no ASCII letter or digit on either side), not by the
product's table or matcher, so the figure cannot simply agree with itself. A topic this bench has no
list for is judged by its own name only (and marked).

Targets (issue 23): precision >= 0.9 and recall >= 0.8 for every topic with at least 3 reports.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIN_REPORTS = 3
RECALL_CAP = 20

# What names each topic, as a reviewer would accept it: the product itself, its commands, daemons,
# config files, default ports, package names. Regular expressions where a bare word is ambiguous.
JUDGE: dict[str, list[str]] = {
    "nginx": ["nginx", "openresty", "nginx.conf"],
    "apache": ["apache2", "httpd", ".htaccess", "apachectl", r"re:apache(?! (?:license|kafka|spark|maven|tomcat))"],
    "caddy": ["caddy", "caddyfile"],
    "traefik": ["traefik"],
    "haproxy": ["haproxy"],
    "letsencrypt": ["letsencrypt", "let's encrypt", "let’s encrypt", "certbot", "acme.sh", "acme-challenge",
                    "acme challenge"],
    "tls": ["tls", "ssl", "x509", "x.509", "ssl_certificate", "ssl_certificate_key", "fullchain.pem", "privkey.pem",
            "证书", "https certificate"],
    "postgres": ["postgres", "postgresql", "psql", "pg", "pg_dump", "pg_restore", "pg_dumpall", "pg_hba.conf",
                 "pg_isready", "pg_ctl", "pg_stat_activity", "pgbouncer", "pgvector", "5432"],
    "mysql": ["mysql", "mysqld", "mysqldump", "mariadb", "my.cnf", "3306"],
    "sqlite": ["sqlite", "sqlite3"],
    "mongodb": ["mongodb", "mongo", "mongod", "mongosh", "mongoose", "pymongo", "27017"],
    "redis": ["redis", "redis-server", "redis-cli", "6379"],
    "memcached": ["memcached", "11211"],
    "elasticsearch": ["elasticsearch", "opensearch", "kibana", "9200"],
    "kafka": ["kafka", "9092"],
    "rabbitmq": ["rabbitmq", "amqp", "5672", "15672"],
    "etcd": ["etcd", "etcdctl", "2379"],
    "minio": ["minio"],
    "docker": ["docker", "dockerfile", "docker-compose", "dockerd", "compose.yaml", "compose.yml", ".dockerignore",
               "docker.io", "dockerhub"],
    "podman": ["podman"],
    "kubernetes": ["kubernetes", "k8s", "kubectl", "kubelet", "kubeadm", "k3s", "minikube", "crashloopbackoff",
                   "imagepullbackoff", "errimagepull", "kube-system", "kube-proxy", "coredns", "ingress-nginx"],
    "helm": ["helm", "chart.yaml", "values.yaml"],
    "buildkit": ["buildkit", "buildkitd", "buildx", "buildctl"],
    "systemd": ["systemd", "systemctl", "journalctl", "unit file", r"re:[\w@-]+\.service\b", r"re:\[(?:unit|service|install)\]"],
    "pm2": ["pm2", "ecosystem.config.js", "ecosystem.config.cjs"],
    "supervisor": ["supervisord", "supervisorctl", "supervisord.conf"],
    "cron": ["cron", "crontab"],
    "ssh": ["ssh", "sshd", "scp", "ssh-keygen", "ssh-agent", "authorized_keys", "known_hosts", "sshd_config",
            "id_rsa", "id_ed25519"],
    "dns": ["dns", "resolv.conf", "nslookup", "getaddrinfo", "nxdomain", "127.0.0.11", "coredns", "域名解析"],
    "git": ["git", ".gitignore", ".gitattributes", "gitconfig"],
    "github-actions": ["github actions", "github-actions", ".github/workflows", "actions/checkout",
                       "actions/setup-node", "actions/setup-python", "workflow_dispatch", "runs-on"],
    "gitlab-ci": ["gitlab ci", "gitlab-ci", ".gitlab-ci.yml", "gitlab-runner"],
    "jenkins": ["jenkins", "jenkinsfile"],
    "vercel": ["vercel", "vercel.json", "vercel.app"],
    "netlify": ["netlify"],
    "render": ["render.yaml", "render.com", "onrender.com", r"re:\brender (?:dashboard|service|deploy|deployment|deploys|logs|build|platform|shell|blueprint|free tier|web service)\b",
               r"re:(?<=on )render\b", r"re:(?<=to )render\b(?! (?:the|a|it|them|html|templates?)\b)"],
    "heroku": ["heroku", "dyno", "dynos", "herokuapp.com"],
    "railway": ["railway", "railway.json", "railway.toml"],
    "fly": ["fly.io", "flyctl", "fly.toml"],
    "coolify": ["coolify"],
    "dokploy": ["dokploy"],
    "nixpacks": ["nixpacks"],
    "cloudflare": ["cloudflare", "wrangler", "cloudflared"],
    "aws": ["aws", "ec2", "s3", "iam", "ecs", "eks", "rds", "cloudfront", "route53", "route 53", "elb", "alb"],
    "gcp": ["gcp", "gcloud", "gke", "google cloud", "cloud run"],
    "aliyun": ["aliyun", "阿里云"],
    "tencent-cloud": ["tencent cloud", "tke", "腾讯云"],
    "node": ["node.js", "nodejs", "node_modules", "npm", "npx", "nvm", "pnpm", "yarn", "package.json",
             "package-lock.json", "yarn.lock", "pnpm-lock.yaml", ".nvmrc",
             r"re:\bnode(?= +(?:-{1,2}[a-z]|v\d+|\d{2}(?:\.[\dx]+)*\b|\d+\.\d+|[\w./@-]+\.(?:[cm]?js|ts)\b))",
             r"re:\bnode@\d", r"re:\bnode:(?:\d|lts|alpine|slim|current|internal)",
             r"re:\bnode (?:version|versions|runtime|process|engine|engines|app|server|image)\b", 're:"node"'],
    "bun": ["bun", "bunx", "bun.lockb", "bun.lock", "bunfig.toml"],
    "deno": ["deno"],
    "python": ["python", "python3", "pip", "pip3", "pipx", "venv", "virtualenv", "requirements.txt",
               "pyproject.toml", "uv", "uv.lock", "poetry", "conda", "traceback (most recent call last)",
               "site-packages", "__pycache__"],
    "go": ["golang", "go.mod", "go.sum", "cgo", "cgo_enabled", r"re:\bgo (?:build|run|test|mod|get|install|vet|version|env)\b",
           r"re:\bgo ?1\.\d+"],
    "java": ["java", "jvm", "jdk", "jre", "openjdk", "maven", "mvn", "gradle", "pom.xml", r"re:\.jar\b"],
    "rust": ["rust", "cargo", "rustc", "cargo.toml"],
    "php": ["php", "php-fpm", "composer.json", "laravel"],
    "ruby": ["ruby", "gemfile", "rails", "sidekiq", "puma", "rubygems", "bundle exec"],
    "django": ["django", "manage.py", "settings.py", "collectstatic"],
    "fastapi": ["fastapi"],
    "flask": ["flask"],
    "gunicorn": ["gunicorn"],
    "uvicorn": ["uvicorn"],
    "celery": ["celery"],
    "alembic": ["alembic", "alembic.ini"],
    "sqlalchemy": ["sqlalchemy"],
    "prisma": ["prisma", "schema.prisma", "prisma.config.ts"],
    "nextjs": ["next.js", "nextjs", "next.config.js", "next.config.mjs", "next.config.ts", "next/router",
               "next/image", "next/navigation", "next/font", r"re:@next/", r"re:\bnext_public_"],
    "react": ["react-dom", "react-router", "react-scripts", "create-react-app", "jsx", "tsx", "reactjs", "react.js",
              r"re:\breact(?=[ .-]?(?:app|component|components|hook|hooks|router|query|native|frontend|project|state|\d+)\b)",
              r"""re:['"]react['"]"""],
    "vue": ["vue", "vue.js", "vuejs", "nuxt", "pinia", "vue-router"],
    "vite": ["vite", "vite.config.js", "vite.config.ts"],
    "svelte": ["svelte", "sveltekit", "svelte.config.js"],
    "express": ["express.js", "expressjs", r"re:\bexpress(?=\(\)|\.(?:static|json|router)|/| server| app| route)",
                r"re:(?<=node/)express", r"re:require\('express'\)", r"re:from 'express'"],
    "spring-boot": ["spring boot", "springboot", "spring-boot", "springframework", "application.properties"],
    "reflex": ["reflex", "rxconfig.py"],
    "electron": ["electron", "electron-builder"],
    "wails": ["wails"],
    "terraform": ["terraform", "tfstate", r"re:\.tf\b"],
    "ansible": ["ansible", "ansible-playbook"],
    "prometheus": ["prometheus", "alertmanager", "promql"],
    "grafana": ["grafana"],
    "loki": ["loki", "promtail", "logql"],
}


def judge(topic: str):
    """A function text -> bool: does the text name the topic (by this bench's own list)?"""
    names = JUDGE.get(topic, [topic])
    parts = []
    for name in names:
        if name.startswith("re:"):
            parts.append(f"(?:{name[3:]})")
            continue
        name = name.lower()
        before = r"(?<![a-z0-9])" if name[0].isascii() and name[0].isalnum() else ""
        after = r"(?![a-z0-9])" if name[-1].isascii() and name[-1].isalnum() else ""
        parts.append(before + re.escape(name).replace(r"\ ", r"\s+") + after)
    pattern = re.compile("|".join(parts), re.IGNORECASE)
    return lambda text: bool(pattern.search(text))


# -- reading what `runbook onboard TOPIC` prints ---------------------------------------------------------

_REF_RE = re.compile(r"^(?:([ecf]\d+)(?:, [ecf]\d+)*) · ")


def parse_walkthrough(markdown: str) -> list[dict]:
    """Items shown: {"page", "kind" (error, procedure, passage, timeline), "refs", "text"}."""
    items: list[dict] = []
    page = ""
    current: dict | None = None
    in_fence = False
    for line in markdown.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            page, current = line[3:], None
            continue
        if page.split(". ", 1)[-1].startswith("Practice"):
            continue
        history = "What went wrong" in page
        if not in_fence and line.startswith("### "):
            heading = line[4:]
            match = _REF_RE.match(heading)
            refs = re.findall(r"[ecf]\d+", heading[:match.end()]) if match else []
            kind = ("error" if refs and refs[0][0] == "e" else "procedure" if refs else "passage")
            current = None if history else {"page": page, "kind": kind, "refs": refs,
                                            "text": heading[match.end():] if match else heading}
            if current:
                items.append(current)
            continue
        if history:
            bullet = re.match(r"^- (.*)", line)
            if bullet and not re.match(r"^e\d+ · ", bullet.group(1)):
                items.append({"page": page, "kind": "timeline", "refs": [], "text": bullet.group(1)})
            continue
        if current is not None and not line.startswith("*From "):
            current["text"] += "\n" + line
    return items


def errors_concerning(kb, concerns) -> set[str]:
    rows = kb.store.rows("select id, title, message, log, symptom, root_cause, fix from errors")
    return {f"e{row['id']}" for row in rows
            if concerns("\n".join(row[k] or "" for k in ("title", "message", "log", "symptom", "root_cause", "fix")))}


def report_level_baseline(kb, concerns, shown: int = 15) -> tuple[float, float]:
    """What onboarding did before issue 23, for comparison in the same run: every error of every report
    whose text names the topic, most frequent first, 15 shown. (precision, recall) by the same judge."""
    from collections import Counter

    reports = [row["id"] for row in kb.store.rows("select id, path from reports")
               if concerns((kb.root / kb.store.rows("select path from reports where id = ?", [row["id"]])[0]["path"])
                           .read_text(encoding="utf-8", errors="replace"))]
    if not reports:
        return 1.0, 1.0
    marks = ",".join("?" * len(reports))
    rows = kb.store.rows(f"select id, fingerprint, title, message, log, symptom, root_cause, fix from errors "
                         f"where report_id in ({marks})", reports)
    frequency = Counter(row["fingerprint"] for row in kb.store.rows("select fingerprint from errors"))
    rows.sort(key=lambda r: (-frequency[r["fingerprint"]], r["id"]))
    picked = rows[:shown]
    text = lambda r: "\n".join(r[k] or "" for k in ("title", "message", "log", "symptom", "root_cause", "fix"))
    on = [r for r in picked if concerns(text(r))]
    relevant = errors_concerning(kb, concerns)
    precision = len(on) / len(picked) if picked else 1.0
    denominator = min(len(relevant), RECALL_CAP)
    return precision, (min(len({f"e{r['id']}" for r in on} & relevant) / denominator, 1.0) if denominator else 1.0)


def runbook(kb_root: Path, *args: str, env: dict) -> str:
    result = subprocess.run([sys.executable, "-m", "runbook.cli", "--kb", str(kb_root), *args], capture_output=True,
                            text=True, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"runbook {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    parser.add_argument("--show-misses", action="store_true", help="print the items judged off-topic and the "
                                                                   "errors of the topic not shown")
    parser.add_argument("--keep", type=Path, help="build the KB here and keep it (default: a temporary folder)")
    args = parser.parse_args()
    sources = [path for path in (args.corpus / "reports", args.seeds) if path.is_dir()]
    if not (args.corpus / "reports").is_dir():
        print(f"skipped: no corpus at {args.corpus} (needs reports/)")
        return
    from kb.ingest import ingest
    from kb.store.knowledge_base import KnowledgeBase

    work = Path(tempfile.mkdtemp(prefix="onboarding-quality-"))
    kb_root = args.keep or work / "kb"
    if args.keep and args.keep.exists():
        shutil.rmtree(args.keep)
    env = {**os.environ, "HOME": str(work), "XDG_DATA_HOME": str(work / "data"),
           "XDG_CONFIG_HOME": str(work / "config"), "PYTHONPATH": str(ROOT)}
    try:
        kb = KnowledgeBase.init(kb_root)
        ingest(kb, sources)
        topics = [t for t in json.loads(runbook(kb_root, "onboard", "--json", env=env)) if t["reports"] >= MIN_REPORTS]
        print(f"one KB of {', '.join(str(s) for s in sources)}: {kb.store.rows('select count(*) as n from reports')[0]['n']} "
              f"files, {kb.store.rows('select count(*) as n from errors')[0]['n']} errors; "
              f"{len(topics)} topics with at least {MIN_REPORTS} reports")
        print()
        print("| topic | reports | shown: errors / procedures / passages | precision | topic's errors | shown | recall "
              "| before (report-level): errors' precision / recall |")
        print("|---|---|---|---|---|---|---|---|")
        worst_p = worst_r = 1.0
        all_items = all_on = 0
        before: list[float] = []
        for topic in topics:
            concerns = judge(topic["topic"])
            markdown = runbook(kb_root, "onboard", topic["topic"], env=env)
            items = parse_walkthrough(markdown)
            on_topic = [item for item in items if concerns(item["text"])]
            precision = len(on_topic) / len(items) if items else 1.0
            relevant = errors_concerning(kb, concerns)
            shown = {ref for item in items if item["kind"] == "error" for ref in item["refs"]}
            found = relevant & shown
            denominator = min(len(relevant), RECALL_CAP)
            recall = min(len(found) / denominator, 1.0) if denominator else 1.0
            worst_p, worst_r = min(worst_p, precision), min(worst_r, recall)
            all_items, all_on = all_items + len(items), all_on + len(on_topic)
            counts = {kind: sum(1 for i in items if i["kind"] == kind) for kind in ("error", "procedure", "passage")}
            counts["passage"] += sum(1 for i in items if i["kind"] == "timeline")
            mark = "" if topic["topic"] in JUDGE else " (judged by its name only)"
            before_p, before_r = report_level_baseline(kb, concerns)
            before.append(before_p)
            print(f"| {topic['topic']}{mark} | {topic['reports']} | {counts['error']} / {counts['procedure']} / "
                  f"{counts['passage']} | {precision:.2f} | {len(relevant)} | {len(found)} | {recall:.2f} "
                  f"| {before_p:.2f} / {before_r:.2f} |")
            if args.show_misses:
                for item in items:
                    if item not in on_topic:
                        print(f"    off-topic {item['kind']}: {' '.join(item['text'].split())[:140]}")
                missing = sorted(relevant - shown, key=lambda ref: int(ref[1:]))
                if missing and len(found) < denominator:
                    print(f"    not shown: {', '.join(missing[:30])}")
        print()
        print(f"overall precision {all_on / all_items if all_items else 1:.2f} ({all_on} of {all_items} items); "
              f"lowest per topic: precision {worst_p:.2f}, recall {worst_r:.2f}; before, report-level errors' "
              f"precision: mean {sum(before) / len(before) if before else 1:.2f}, lowest {min(before, default=1):.2f}")
        ok = worst_p >= 0.9 and worst_r >= 0.8
        print(f"targets (precision >= 0.9 and recall >= 0.8 for every topic with >= {MIN_REPORTS} reports):",
              "met" if ok else "MISSED")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
