"""The bilingual label vocabulary, in one place so a team can extend it.

Extraction is driven by structure (a label, a heading, a table header); these
words only tell the parser which *role* a label plays. Add a synonym here and
every extractor picks it up. Keys are lower-case; matching strips emoji,
numbering and trailing colons first (see :func:`kb.parse.labels.classify_label`).
"""

from __future__ import annotations

# Field roles inside an error write-up. The longest matching prefix wins, so
# "错误代码" (before-code) beats "错误" (error log).
FIELD_WORDS: dict[str, tuple[str, ...]] = {
    "log": (
        "错误日志", "错误信息", "错误输出", "报错信息", "报错", "日志", "异常信息", "堆栈",
        "error log", "error logs", "error message", "error output", "error", "logs", "log",
        "traceback", "stack trace", "stacktrace", "output", "console output", "message",
        "警告信息", "警告日志", "警告", "告警信息", "告警", "warning", "warnings", "warning message", "notice",
        "the error", "errors", "error messages", "the error message", "log output", "build log", "build output",
    ),
    "symptom": ("症状", "现象", "问题现象", "表现", "故障现象", "symptom", "symptoms", "what happened", "the symptom",
                "the symptoms", "observed behavior", "observed behaviour"),
    "problem": ("问题描述", "问题", "故障", "problem", "problems", "issue", "issues", "the problem", "the issue", "bug"),
    "impact": ("影响范围", "影响", "impact", "blast radius", "severity impact"),
    "cause": (
        "根本原因", "根因", "原因分析", "原因", "问题原因", "root cause", "root causes", "cause",
        "causes", "why", "why it happened", "likely cause",
    ),
    "diagnosis": ("诊断", "排查过程", "排查", "定位", "diagnosis", "investigation", "debugging", "analysis"),
    "fix": (
        "修复方案", "解决方案", "解决策略", "解决办法", "解决", "修复措施", "修复", "处理办法", "处理方法",
        "处理", "应对", "fix", "fixes", "the fix", "solution", "resolution", "workaround", "remedy",
        "mitigation", "how we fixed it", "what to do", "solutions", "the solution", "resolutions",
        "workarounds", "fixes applied", "fix applied", "the fixes", "what we changed", "what changed", "remediation",
        "recommendation", "recommendations", "recommended fix", "suggested fix", "suggestion", "suggestions",
        "建议修改", "修改建议", "建议", "已完成的修复", "修复内容", "修复步骤", "解决步骤", "解决方法", "修改方案",
        "处理方案", "改进措施", "permanent fix", "quick fix", "break-glass", "how to fix", "steps to fix",
        "corrective actions", "corrective and preventive actions", "corrective action", "preventive actions",
        "prevention", "action items", "recovery", "final solution", "final fix", "working solution",
    ),
    "before": (
        "修复前", "错误代码", "错误配置", "原始配置", "原始代码", "原代码", "原配置", "旧版本", "旧配置",
        "before", "old", "broken", "original",
    ),
    "after": (
        "修复后代码", "修复后配置", "修复后", "最终代码", "最终配置", "正确代码", "正确配置", "新版本", "新配置",
        "创建文件", "after", "fixed", "fixed code", "new", "corrected",
    ),
    "commit": ("提交信息", "提交记录", "提交", "commit message", "commit", "commits"),
    "question": ("q", "问", "question"),
    "answer": ("a", "答", "answer"),
    "lesson": ("教训", "经验教训", "经验", "lesson", "lessons", "lesson learned", "takeaway"),
}

# Fields that open an error write-up and fields that close it (a new opener
# after a closer starts the next error in the same section).
OPENING_FIELDS = frozenset({"log", "symptom", "problem", "question"})
CLOSING_FIELDS = frozenset({"fix", "after", "answer", "commit"})

# Headings that announce an error section; the rest of the heading is its title.
ERROR_HEADING_WORDS = (
    "错误", "问题", "故障", "事故", "报错", "坑", "error", "problem", "issue", "bug",
    "incident", "failure", "symptom", "症状",
)

# Words in a heading that say "this section lists lessons".
LESSON_HEADING_WORDS = ("教训", "经验教训", "经验", "lessons learned", "lessons", "lesson", "takeaways", "retrospective")

# Headings of FAQ sections whose Q/A pairs become errors.
FAQ_HEADING_WORDS = ("faq", "常见问题", "问答", "q&a", "troubleshooting", "故障排查", "排错")

# Words that mark a heading or label as a checklist.
CHECKLIST_WORDS = ("检查清单", "清单", "检查", "核对", "checklist", "check list", "checks", "verification", "验证", "verify")

# Stricter words for a heading (not a label) that makes a plain list a checklist.
CHECKLIST_TITLE_WORDS = ("检查清单", "清单", "检查项", "核对", "checklist", "check list", "verification steps")

# Deployment phases for grouping checklists.
PHASE_WORDS: dict[str, tuple[str, ...]] = {
    "pre": ("部署前", "上线前", "发布前", "升级前", "准备", "pre-deploy", "pre-deployment", "predeploy",
            "before deploy", "before deployment", "before release", "preflight", "pre-flight", "prerequisites"),
    "during": ("部署过程", "部署中", "发布中", "上线中", "部署时", "during", "deploying", "rollout"),
    "post": ("部署后", "上线后", "发布后", "升级后", "验证", "post-deploy", "post-deployment", "postdeploy",
             "after deploy", "after deployment", "after release", "verification", "smoke test"),
}

# Numbered step headings that make a procedure: 步骤 1, Step 2, 第三步.
STEP_HEADING_PATTERN = r"^(?:步骤|step|阶段|phase)\s*[#]?\s*(\d+|[一二三四五六七八九十]+)\s*[:：.、)\-—–]?\s*|^第\s*(\d+|[一二三四五六七八九十]+)\s*步\s*[:：.、]?\s*"

# Expected-result comments in shell blocks: `# 预期：...`, `# expected: ...`.
EXPECTED_WORDS = ("预期结果", "预期输出", "预期", "期望", "应输出", "应该", "expected output", "expected result",
                  "expected", "expect", "should", "=>")

# Table headers: which column is the error, the cause, the fix.
TABLE_ERROR_WORDS = ("错误", "报错", "报错信息", "错误信息", "主要问题", "问题", "症状", "现象", "error",
                     "errors", "error message", "symptom", "problem", "issue", "message")
TABLE_CAUSE_WORDS = ("原因", "根本原因", "可能原因", "排查方向", "cause", "root cause", "likely cause", "reason", "why")
TABLE_FIX_WORDS = ("修复", "修复方案", "解决", "解决方案", "解决办法", "处理办法", "处理", "措施", "fix", "solution",
                   "resolution", "what to do", "action", "workaround", "remedy", "change", "what we changed",
                   "改动", "变更")

# A timeline table has one of these in its header.
TIMELINE_WORDS = ("时间", "日期", "时刻", "部署次数", "迭代", "time", "date", "when", "timestamp", "deploy #",
                  "attempt", "iteration")

# Cells that mean "nothing here".
EMPTY_CELLS = frozenset({"", "-", "—", "–", "无", "没有", "n/a", "na", "none", "nil", "/"})

# Section headings that carry a "this worked" outcome (the fix of a failed sibling).
SUCCESS_WORDS = ("成功", "最终", "✅", "final", "solution", "resolution", "working", "fixed", "解决")
FAILURE_WORDS = ("失败", "❌", "failed", "failure", "broken")

# Words of a line that looks like an error in a log or heading.
ERROR_LINE_WORDS = (
    "error", "exception", "failed", "failure", "fatal", "panic", "refused", "denied", "timeout", "timed out",
    "not found", "cannot", "can't", "unable", "invalid", "missing", "unhealthy", "killed", "crash", "abort",
    "segfault", "traceback", "errno", "502", "503", "504", "500 internal", "bad gateway", "no such",
    "错误", "失败", "超时", "异常", "报错", "无法", "拒绝", "不存在", "找不到", "缺失", "崩溃",
)

# Decision-tree node labels (kb/parse/tree_commands.py). A label is a command only when it reads as one:
# - a CJK note after the command that says how things went makes the label a state, not a command to run
#   (`nginx 启动失败`, `systemctl start 失败`, `curl /health 返回正常`);
TREE_OUTCOME_WORDS = ("失败", "出错", "报错", "异常", "超时", "不通", "挂了", "挂掉", "崩溃", "无响应", "没响应",
                      "不可用", "被拒绝", "拒绝连接", "无法", "不能", "起不来", "没起来", "未启动", "没启动", "卡住",
                      "被占用", "不存在", "找不到", "成功", "正常", "通过")
# - unless the note starts by saying what the command is for (`ss -ltnp 查占用进程`, `docker logs api 查看失败原因`);
TREE_PURPOSE_WORDS = ("查看", "检查", "查", "看", "确认", "定位", "验证", "测试", "列出", "显示", "获取", "找", "观察",
                      "排查", "诊断", "核对", "统计")
# - English words no command line holds unquoted: a label with one is a sentence about a program
#   (`nginx fails to start`, `docker is not running`, `curl returns 502`, `systemctl start failed`).
TREE_PROSE_WORDS = frozenset("""
is are was were be been being isn't aren't wasn't weren't not cannot can't couldn't doesn't don't didn't won't
does did has have had fails failed failing crashes crashed crashing hangs hung returns returned shows showed
says said times timed refuses refused keeps still the when should must seems because why how or and
""".split())

# Shell-ish fence languages whose content is split into commands.
SHELL_LANGS = frozenset({"bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession", "terminal", "cmd"})

# Programs an operator runs: inline code starting with one (`docker build -t app .`) is a command line.
# Shell builtins that only declare things (export, set, cd, echo, exit) are left out: in prose they are
# mentions, not steps.
COMMAND_PROGRAMS = frozenset("""
docker docker-compose podman podman-compose nerdctl buildctl crictl ctr kubectl helm k3s kind minikube kustomize
systemctl journalctl supervisorctl pm2 curl wget http git gh npm npx pnpm yarn bun bunx node deno
python python3 pip pip3 pipx uv poetry pipenv uvicorn gunicorn hypercorn celery flask django-admin alembic
prisma reflex go cargo rustup make cmake mvn gradle java dotnet ssh scp rsync sudo nginx apachectl caddy
traefik psql pg_dump pg_restore pg_dumpall pg_isready pg_ctl mysql mysqldump mysqladmin redis-cli mongosh mongo
mongodump mongorestore certbot openssl ls cat tail head grep find df du free top htop ps kill pkill lsof
netstat ss ip ping dig nslookup nc telnet traceroute chmod chown mkdir rm cp mv ln tar unzip zip sed awk jq
xargs tee touch whoami hostname uname uptime sleep watch timeout nohup env printenv crontab ufw iptables
firewall-cmd apt apt-get yum dnf apk brew snap heroku vercel netlify fly flyctl railway wrangler aws gcloud
az terraform ansible ansible-playbook vagrant composer php rails bundle rake ruby rabbitmqctl gitlab-runner mqadmin
rabbitmq-diagnostics bash sh zsh
""".split())
# Words that make node or item text a command: `运行 docker-compose ps`, `run make deploy`.
RUN_WORDS = ("运行", "执行", "run", "execute", "exec")

# Heading label words whose removal leaves a heading's subject ("Fix 2: Redis timeout" -> "redis timeout"),
# so an error heading and the fix heading that answers it can be paired.
HEADING_LABEL_WORDS = tuple(sorted({*ERROR_HEADING_WORDS, *FIELD_WORDS["fix"], *FIELD_WORDS["problem"],
                                    *FIELD_WORDS["symptom"], "方案", "方法", "option", "步骤", "step"}))

# --- procedures as a reader sees them (kb.parse.procedures) ------------------------------------------
# A heading or lead-in that introduces what to do: a numbered list or numbered steps under it are a
# procedure when their items read as actions.
PROCEDURE_CONTEXT_WORDS = (
    "步骤", "操作", "解决", "解决方案", "解决方法", "解决办法", "修复", "修复步骤", "处理", "处理方法", "下一步", "后续步骤",
    "验证", "检查", "测试", "排查", "诊断", "回滚", "恢复", "方案", "方法",
    "办法", "如何", "怎么", "请", "以下", "然后", "获取帮助", "技术支持", "快速修复", "手动", "应急",
    "steps", "step-by-step", "step by step", "procedure", "how to", "instructions", "solution", "solutions", "fix",
    "fixes", "fix steps", "resolution", "remediation", "workaround", "next steps", "verify", "verification",
    "validate", "validation", "check", "checks", "troubleshoot", "troubleshooting", "triage", "diagnose",
    "rollback", "roll back", "recovery", "recover", "restore", "test", "testing", "option", "method", "approach", "get help",
    "still stuck", "if error persists", "quick fix", "quick start", "getting started", "runbook", "operations",
    "to do", "what to do", "once fixed", "after fix",
)
# ... and one that introduces facts, causes, lessons, recommendations or plans: its lists are not
# procedures, whatever verbs they use ("Lessons: 1. Pin the base image"). These win over the words above.
NOT_PROCEDURE_WORDS = (
    "原因", "根本原因", "根因", "问题", "现象", "症状", "影响", "背景", "概述", "总结", "摘要", "教训", "经验", "收获",
    "改进", "建议", "预防", "优化", "最佳实践", "优点", "缺点", "注意", "注意事项", "说明", "变更", "改动", "修改内容",
    "修改的文件", "文件列表", "已完成", "已修复", "成果", "结果", "风险", "计划", "待办", "时间线", "对比", "特性", "功能",
    "原理", "架构", "可能", "推荐的", "反思", "成就", "引言", "简介", "介绍",
    "cause", "causes", "root cause", "reason", "reasons", "why", "lesson", "lessons", "takeaway", "takeaways",
    "learned", "background", "summary", "overview", "impact", "symptom", "symptoms", "problem", "problems", "issue",
    "issues", "what happened", "timeline", "changes", "what changed", "changelog", "key changes", "modified files",
    "files changed", "benefits", "pros", "cons", "advantages", "features", "notes", "best practices",
    "recommendation", "recommendations", "prevention", "preventive", "improvements", "future", "follow-up",
    "follow up", "action items", "backlog", "known issues", "limitations", "risks", "metrics", "results", "outcome",
    "architecture", "how it works", "one of", "possible", "likely", "errors", "failures", "red flags",
    "recommended", "differently", "applied", "fixes applied", "what we did", "what was done", "achievements",
    "accomplishments", "introduction",
)
# Imperative verbs that open a step ("Restart the worker", "Go to Settings"); matched as the first word.
ACTION_VERBS = frozenset("""
add adjust allow apply approve back backup block build bump change check choose clean clear click clone collect
commit configure confirm connect copy cordon create delete deploy describe disable download drain drop edit
email enable ensure enter export fill find fix flush free generate get go grant increase inspect install kill
label launch list load log login look lower make merge migrate modify monitor mount move navigate note open
paste patch pick pin point prepare provide prune pull purge push raise re-run read rebuild reboot redeploy
reduce regenerate reinstall reload remove rename repeat replace request rerun reset resolve restart restore
retry revert review roll rollback rotate run save scale search select send set sign ssh stage start stop
submit switch tag taint test trigger try tune type uncordon uninstall unset update upgrade upload use validate
verify view visit wait watch write pause resume take put bring turn hold flip keep mark call notify announce
freeze unfreeze
""".split())
# Chinese verbs that open a step (检查日志, 重启服务, 在 Vercel 重新部署); the last group also ends one
# (容器状态检查, Nginx 日志验证).
ACTION_VERBS_ZH = (
    "检查", "查看", "验证", "确认", "确保", "运行", "执行", "测试", "创建", "新建", "删除", "移除", "修改", "更改", "调整",
    "更新", "升级", "降级", "安装", "卸载", "重启", "重新", "启动", "停止", "关闭", "打开", "开启", "提交", "推送", "拉取",
    "上传", "下载", "备份", "恢复", "回滚", "部署", "构建", "编译", "配置", "设置", "添加", "增加", "加入", "替换", "编辑",
    "复制", "拷贝", "清理", "清除", "清空", "登录", "进入", "点击", "访问", "导航", "拖拽", "找到", "查找", "搜索", "等待",
    "监控", "观察", "收集", "获取", "生成", "改用", "切换", "导出", "导入", "合并", "标记", "触发", "联系", "提供", "参考",
    "阅读", "打包", "挂载", "扩容", "缩容", "授权", "迁移", "同步", "释放", "杀掉", "终止", "连接", "注册", "申请", "选择",
    "填写", "保存", "输入", "记录", "排查", "定位", "修复", "处理", "调用", "使用", "应用", "编写", "补充", "开放", "放行",
)
ACTION_ENDINGS_ZH = ("检查", "验证", "测试", "检测", "排查", "确认", "诊断", "部署", "重启", "更新", "清理")
# Words that lead a step sentence before its verb (先/然后 检查..., 在 X 中 点击..., 从 X 移除...).
STEP_LEAD_WORDS_ZH = ("先", "再", "然后", "接着", "最后", "请", "手动", "务必", "立即", "在", "从", "到", "向", "用", "通过",
                      "对", "给", "将", "把", "如果", "如有需要")

# Phrases of messages programs print (`bind: address already in use`, `DATABASE_URL is not set`): a short
# line holding one reads as an error message, where a heading in words (`Slow responses`) does not.
MESSAGE_WORDS = (
    "error", "errno", "exception", "fatal", "panic", "failed", "failure", "fail to", "fails", "refused", "denied",
    "timed out", "timeout", "time out", "not found", "no such", "cannot", "can't", "could not", "couldn't",
    "unable to", "invalid", "missing", "not set", "not defined", "is not defined", "undefined", "not allowed",
    "not implemented", "not supported", "unsupported", "does not exist", "doesn't exist", "not exist",
    "already exists", "already in use", "in use", "unavailable", "unreachable", "not available", "no space left",
    "out of memory", "killed", "oomkilled", "backoff", "back-off", "crashloop", "unhealthy", "obsolete",
    "deprecated", "not running", "not responding", "terminated", "aborted", "rejected", "forbidden",
    "unauthorized", "unauthenticated", "conflict", "too large", "too many", "exceeded", "limit reached",
    "must be", "unexpected", "unknown", "is required", "required", "read-only", "read only", "segfault",
    "segmentation fault", "permission", "no route", "connection reset", "broken pipe", "bad gateway",
    "gateway timeout", "service unavailable", "internal server error", "warn", "warning", "insufficient",
    "no nodes available", "did not", "didn't", "wasn't", "isn't", "is not", "not ready", "mismatch",
    "incompatible", "corrupt", "expired", "untrusted", "unverified", "not match", "doesn't match",
)
# ... and the phrases among them that say something failed (for a message quoted in prose or a block).
ERROR_MESSAGE_WORDS = (
    "error", "errno", "exception", "fatal", "panic", "failed", "failure", "fail to", "refused", "denied", "timed out",
    "not found", "no such", "cannot", "can't", "could not", "couldn't", "unable to", "invalid", "missing", "not set",
    "not defined", "undefined", "not allowed", "not permitted", "not implemented", "does not exist",
    "doesn't exist", "already exists", "already in use", "unavailable", "unreachable", "no space left",
    "out of memory", "killed", "unhealthy", "unknown", "unexpected", "read-only", "segmentation fault",
    "bad gateway", "gateway timeout", "service unavailable", "internal server error", "no nodes available",
    "connection reset", "broken pipe", "forbidden", "unauthorized", "crashloop", "back-off", "backoff",
    "command not found", "no module named", "not supported", "mismatch", "incompatible", "expired",
)
