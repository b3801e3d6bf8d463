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
    # data and state
    "连接池": "pool connection pool", "耗尽": "exhausted exhaustion", "并发": "concurrency concurrent",
    "事务": "transaction", "回滚": "rollback", "中止": "aborted abort", "语句": "statement", "表": "table",
    "字段": "column field", "索引": "index", "查询": "query", "缓存": "cache cached", "数据卷": "volume",
    "卷": "volume", "挂载": "mount", "存储": "storage", "文件系统": "filesystem", "集群": "cluster",
    "写入": "write writes", "删除": "delete remove", "创建": "create", "初始化": "init initialize initialization",
    # network and access
    "代理": "proxy", "反向代理": "reverse proxy", "负载均衡": "load balancer", "路由": "route routing",
    "请求": "request", "响应": "response", "返回": "returns", "推送": "push", "仓库": "repository registry repo",
    "网络": "network", "地址": "address", "主机名": "hostname", "服务名": "service name", "重试": "retry",
    "断开": "disconnect closed", "握手": "handshake", "加密": "tls ssl encryption", "协议": "protocol",
    "密钥": "key secret", "私钥": "private key", "授权": "authorization", "登录": "login", "用户": "user",
    # build and runtime
    "编译": "compile build", "静态": "static statically", "动态链接": "dynamic linking dynamically linked",
    "链接库": "library shared library", "共享库": "shared library", "二进制": "binary", "可执行": "executable exec",
    "环境变量": "environment variable env", "变量": "variable", "脚本": "script", "命令": "command", "路径": "path",
    "子目录": "subdirectory", "根目录": "root directory", "工作目录": "working directory workdir", "安装": "install",
    "包": "package", "依赖包": "package dependencies", "锁": "lock", "同步": "sync", "不同步": "out of sync",
    "升级": "upgrade", "降级": "downgrade", "兼容": "compatible compatibility", "不兼容": "incompatible",
    "退出": "exit exited", "退出码": "exit code", "信号": "signal", "杀掉": "killed kill", "卡住": "hang stuck",
    "阻塞": "blocked blocking", "死锁": "deadlock", "实例": "instance", "单例": "singleton", "热重载": "hot reload",
    "前端": "frontend", "后端": "backend", "接口": "api endpoint", "页面": "page", "任务": "task job",
    "定时任务": "cron scheduled job", "队列": "queue", "消息": "message", "消费者": "consumer", "积压": "lag backlog",
    "延迟": "latency delay", "慢": "slow", "大小": "size", "超过": "exceeds larger than", "最大": "max maximum",
    "默认": "default", "工作流": "workflow", "流水线": "pipeline", "不健康": "unhealthy", "手动": "manual",
    "自动": "automatic auto", "时间同步": "clock sync ntp", "时钟": "clock",
    # how people say a thing fails, in chat and in write-ups
    "连不上": "cannot connect reach unreachable refused", "连接不上": "cannot connect reach unreachable",
    "不可达": "unreachable", "访问不了": "cannot access unreachable", "无法访问": "cannot access unreachable",
    "起不来": "fails to start cannot start", "启动不了": "fails to start cannot start", "打不开": "cannot open",
    "挂了": "down crashed", "宕机": "down outage", "反复重启": "restart loop crashloopbackoff restarting",
    "不停重启": "restart loop crashloopbackoff restarting", "卡死": "hang hung frozen", "占满": "full exhausted",
    "写满": "full no space left", "用完": "exhausted run out", "丢失": "lost missing", "不生效": "not applied ignored",
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
    "pool": "连接池", "exhausted": "耗尽", "transaction": "事务", "rollback": "回滚", "aborted": "中止",
    "query": "查询", "cache": "缓存", "cached": "缓存", "proxy": "代理", "request": "请求", "response": "响应",
    "registry": "仓库 镜像", "repository": "仓库", "volume": "卷", "mount": "挂载", "storage": "存储",
    "filesystem": "文件系统", "cluster": "集群", "compile": "编译", "static": "静态", "statically": "静态",
    "dynamic": "动态", "library": "库", "binary": "二进制", "environment": "环境变量", "variable": "变量",
    "key": "密钥", "network": "网络", "retry": "重试", "exit": "退出", "exited": "退出", "exits": "退出",
    "signal": "信号", "killed": "杀掉", "upgrade": "升级", "downgrade": "降级", "compatible": "兼容",
    "frontend": "前端", "backend": "后端", "queue": "队列", "consumer": "消费者", "lag": "积压 延迟", "slow": "慢",
    "size": "大小", "exceeds": "超过", "max": "最大", "default": "默认", "workflow": "工作流", "pipeline": "流水线",
    "package": "包", "install": "安装", "lock": "锁", "sync": "同步", "instance": "实例", "delete": "删除",
    "create": "创建", "script": "脚本", "command": "命令", "path": "路径", "directory": "目录", "address": "地址",
    "unhealthy": "不健康", "read-only": "只读", "readonly": "只读", "connection": "连接", "connections": "连接",
    "reload": "重载", "handshake": "握手", "tls": "证书 加密", "ssl": "证书 加密", "table": "表", "column": "字段",
    "index": "索引", "auth": "认证", "login": "登录", "user": "用户", "file": "文件", "restarts": "重启",
    "restarting": "重启", "crashes": "崩溃", "crashed": "崩溃", "hang": "卡住", "stuck": "卡住", "singleton": "单例",
    "push": "推送", "clock": "时钟", "deadlock": "死锁", "exhaustion": "耗尽", "concurrency": "并发",
    "unreachable": "连不上 不可达", "reach": "连不上", "outage": "宕机", "held": "占用",
}


def expand(text: str) -> str:
    """Words of the other language for the glossary entries found in text."""
    lower = text.lower()
    extra = [english for chinese, english in ZH_EN.items() if chinese in text]
    words = set(lower.replace("-", " ").replace("_", " ").split())
    extra += [chinese for english, chinese in EN_ZH.items() if english in words]
    return " ".join(extra)
