"""A small bilingual glossary of operations words, to match a Chinese description of an
English error and the reverse. Query-side only: each hit adds the other language's
words at a lower weight. Extend freely; keys are matched as substrings (Chinese) or words.
"""

from __future__ import annotations

ZH_EN: dict[str, str] = {
    "超时": "timeout timed out", "连接": "connection connect", "拒绝": "refused denied", "被拒绝": "refused",
    "端口": "port", "占用": "in use already allocated", "被占用": "already in use allocated", "已被分配": "already allocated",
    "证书": "certificate cert ssl", "过期": "expired", "内存": "memory oom", "超限": "exceeded limit", "被杀": "killed oomkilled",
    "磁盘": "disk device", "空间不足": "no space left", "空间": "space", "权限": "permission", "没有权限": "permission denied",
    "密码": "password", "认证": "authentication auth", "失败": "failed", "找不到": "not found cannot find",
    "模块": "module", "镜像": "image", "拉取": "pull", "重启": "restart", "数据库": "database",
    "健康检查": "health check healthcheck probe", "探针": "probe", "就绪": "readiness ready", "存活": "liveness",
    "依赖": "dependency dependencies", "缺失": "missing", "缺少": "missing", "上游": "upstream", "网关": "gateway",
    "重复": "duplicate", "唯一": "unique", "约束": "constraint", "主键": "primary key", "迁移": "migration migrate",
    "配置": "config configuration", "文件": "file", "锁文件": "lockfile", "冻结": "frozen", "监听": "watch watchers listen",
    "数量": "number", "上限": "limit", "系统": "system", "导入": "import", "启动": "start startup",
    "频率": "repeated too quickly", "服务": "service", "公钥": "publickey public key", "主机": "host",
    "副本集": "replica set", "切主": "primary", "写入": "write writes", "快照": "snapshot", "保存": "save",
    "构建": "build", "部署": "deploy deployment", "版本": "version", "令牌": "token", "速率": "rate limit",
    "解析": "parse resolve", "域名": "domain dns", "防火墙": "firewall", "堆": "heap", "内存溢出": "out of memory heap",
    "容器": "container", "进程": "process", "日志": "log logs", "目录": "directory", "不存在": "not exist not found",
    "无法": "cannot unable", "错误": "error", "报错": "error", "崩溃": "crash crashloopbackoff", "节点": "node",
    "调度": "scheduling schedule", "资源": "resource", "不足": "insufficient", "序列": "sequence", "恢复": "restore",
    "签发": "issued", "续期": "renew renewal", "验证": "verification verify", "读取": "read", "只读": "read-only",
}

EN_ZH: dict[str, str] = {
    "timeout": "超时", "timed": "超时", "refused": "拒绝", "denied": "拒绝 权限", "port": "端口", "allocated": "占用",
    "certificate": "证书", "expired": "过期", "memory": "内存", "oom": "内存", "oomkilled": "内存 被杀", "disk": "磁盘",
    "space": "空间", "permission": "权限", "password": "密码", "authentication": "认证", "failed": "失败",
    "module": "模块", "image": "镜像", "pull": "拉取", "restart": "重启", "database": "数据库", "health": "健康检查",
    "healthcheck": "健康检查", "probe": "探针", "dependency": "依赖", "missing": "缺失", "upstream": "上游",
    "gateway": "网关", "duplicate": "重复", "unique": "唯一", "constraint": "约束", "migration": "迁移",
    "config": "配置", "lockfile": "锁文件", "frozen": "冻结", "watchers": "监听", "limit": "上限", "import": "导入",
    "service": "服务", "publickey": "公钥", "replica": "副本集", "primary": "主", "snapshot": "快照",
    "build": "构建", "deploy": "部署", "token": "令牌", "rate": "速率", "firewall": "防火墙", "heap": "内存",
    "container": "容器", "crash": "崩溃", "scheduling": "调度", "insufficient": "不足", "sequence": "序列",
    "renew": "续期", "nginx": "nginx", "starts": "启动", "start": "启动",
}


def expand(text: str) -> str:
    """Words of the other language for the glossary entries found in text."""
    lower = text.lower()
    extra = [english for chinese, english in ZH_EN.items() if chinese in text]
    words = set(lower.replace("-", " ").replace("_", " ").split())
    extra += [chinese for english, chinese in EN_ZH.items() if english in words]
    return " ".join(extra)
