"""A bilingual glossary of operations words, to match a Chinese description of an English error
and the reverse. Query-side only: each hit adds the other language's words at a lower weight
(kb/search/ranking.py, query_terms).

The vocabulary is the general one Chinese and English ops teams write in post-mortems and chat:
infrastructure, containers and Kubernetes, databases, queues, CI/CD, web servers, TLS, DNS, cloud,
git, package managers, runtime errors and the usual ways of saying a thing fails. Keep entries
precise: a translation that is too generic (问题 -> "error issue problem") makes unrelated reports
match. tests/test_glossary.py checks the tables (no key defined twice, Chinese keys all Chinese).

Chinese keys are found anywhere in a run of Chinese text, longest first: a key inside a longer
one found there says less than it (分配 in 已被分配) and is not counted; ZH_WHOLE holds words that
are no ops term but contain one (表 in 表示, 包 in 包括), so that the shorter key is not counted there
either. English keys are words or phrases of up to three words, matched after lowering and splitting
identifiers (CrashLoopBackOff -> crash loop back off), the longest phrase first, with plain English
endings (-s, -es, -ed, -ing) tried when a word itself is not a key. EN_ZH leaves out everyday words
of an English write-up (server, step, production, update): their Chinese would only dilute a paste.
The results are remembered per Chinese run and per word sequence: expand costs microseconds.
"""

from __future__ import annotations

import re
from functools import lru_cache

ZH_EN: dict[str, str] = {
    # --- the first glossary (kept as it was measured) ---
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
    "连接池": "pool connection pool", "耗尽": "exhausted exhaustion", "并发": "concurrency concurrent",
    "事务": "transaction", "回滚": "rollback", "中止": "aborted abort", "语句": "statement", "表": "table",
    "字段": "column field", "索引": "index", "查询": "query", "缓存": "cache cached", "数据卷": "volume",
    "卷": "volume", "挂载": "mount", "存储": "storage", "文件系统": "filesystem", "集群": "cluster",
    "删除": "delete remove", "创建": "create", "初始化": "init initialize initialization",
    "代理": "proxy", "反向代理": "reverse proxy", "负载均衡": "load balancer", "路由": "route routing",
    "请求": "request", "响应": "response", "返回": "returns", "推送": "push", "仓库": "repository registry repo",
    "网络": "network", "地址": "address", "主机名": "hostname", "服务名": "service name", "重试": "retry",
    "断开": "disconnect closed", "握手": "handshake", "加密": "tls ssl encryption", "协议": "protocol",
    "密钥": "key secret", "私钥": "private key", "授权": "authorization", "登录": "login", "用户": "user",
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
    "连不上": "cannot connect reach unreachable refused", "连接不上": "cannot connect reach unreachable",
    "不可达": "unreachable", "访问不了": "cannot access unreachable", "无法访问": "cannot access unreachable",
    "起不来": "fails to start cannot start", "启动不了": "fails to start cannot start", "打不开": "cannot open",
    "挂了": "down crashed", "宕机": "down outage", "反复重启": "restart loop crashloopbackoff restarting",
    "不停重启": "restart loop crashloopbackoff restarting", "卡死": "hang hung frozen", "占满": "full exhausted",
    "写满": "full no space left", "用完": "exhausted run out", "丢失": "lost missing", "不生效": "not applied ignored",

    # --- hosts, capacity, high availability ---
    "服务器": "server", "虚拟机": "virtual machine vm", "物理机": "bare metal physical host", "机房": "datacenter",
    "数据中心": "datacenter data center", "可用区": "availability zone", "地域": "region", "负载": "load",
    "负载过高": "high load overloaded", "使用率": "usage utilization", "利用率": "utilization", "带宽": "bandwidth",
    "吞吐": "throughput", "流量": "traffic", "峰值": "peak", "高峰": "peak", "扩容": "scale up scale out resize",
    "缩容": "scale down scale in", "扩缩容": "autoscaling scale", "自动扩缩": "autoscaler autoscaling",
    "弹性伸缩": "autoscaling autoscaler", "副本": "replica replicas", "副本数": "replicas replica count",
    "分片": "shard sharding", "主从": "primary replica master slave", "主库": "primary master",
    "从库": "replica slave", "只读副本": "read replica", "故障转移": "failover", "主备切换": "failover switchover",
    "高可用": "high availability ha", "单点故障": "single point of failure", "控制面": "control plane",
    "控制平面": "control plane", "主节点": "master control plane leader", "工作节点": "worker node",
    "成员": "member", "选主": "leader election", "领导者": "leader", "脑裂": "split brain", "心跳": "heartbeat",
    "租约": "lease", "仲裁": "quorum", "多数派": "quorum majority", "处理器": "cpu processor", "核数": "cpu cores",
    "交换分区": "swap", "内存不足": "out of memory oom insufficient memory", "内存泄漏": "memory leak",
    "内存泄露": "memory leak", "内存占用": "memory usage", "泄漏": "leak leaked", "泄露": "leak leaked",

    # --- containers and Kubernetes ---
    "镜像仓库": "registry image registry", "私有仓库": "private registry", "基础镜像": "base image",
    "镜像层": "layer layers", "多阶段构建": "multi-stage build", "构建缓存": "build cache", "标签": "tag label",
    "拉取失败": "pull failed imagepullbackoff errimagepull", "拉不下来": "cannot pull pull failed",
    "命名空间": "namespace", "容器组": "pod", "守护进程集": "daemonset", "有状态": "stateful statefulset",
    "无状态": "stateless", "持久卷": "persistent volume pv", "持久卷声明": "persistentvolumeclaim pvc claim",
    "存储类": "storageclass storage class", "配置映射": "configmap", "服务账号": "serviceaccount service account",
    "服务账户": "serviceaccount service account", "角色": "role", "角色绑定": "rolebinding role binding",
    "权限不足": "forbidden permission denied insufficient permissions", "禁止": "forbidden", "入口": "ingress entrypoint",
    "污点": "taint taints", "容忍": "toleration tolerations", "亲和性": "affinity", "反亲和": "anti-affinity",
    "驱逐": "evict evicted eviction", "被驱逐": "evicted eviction", "抢占": "preempt preemption preempted",
    "待调度": "pending unschedulable", "无法调度": "unschedulable failedscheduling", "准入": "admission",
    "准入控制": "admission controller webhook", "初始化容器": "init container initcontainer", "边车": "sidecar",
    "终止": "terminate terminated terminating", "优雅退出": "graceful shutdown", "优雅关闭": "graceful shutdown",
    "滚动更新": "rolling update rollout", "灰度": "canary", "金丝雀": "canary", "蓝绿": "blue green",
    "编排": "orchestration", "资源限制": "resource limits", "配额": "quota", "限额": "quota limit",
    "限流": "rate limit throttle throttling", "节流": "throttle throttling", "熔断": "circuit breaker",
    "所有权": "ownership owner", "属主": "owner ownership", "所有者": "owner ownership", "元数据": "metadata",
    "注解": "annotation annotations", "接管": "adopt ownership import", "清单": "manifest",
    "模板": "template", "图表": "chart", "控制器": "controller", "调度器": "scheduler", "守护进程": "daemon",
    "镜像拉取": "image pull", "重新创建": "recreate", "端口映射": "port mapping publish", "映射": "mapping",
    "暴露": "expose exposed",

    # --- processes, runtime errors ---
    "段错误": "segmentation fault segfault sigsegv", "核心转储": "core dump dumped", "空指针": "null pointer nil",
    "空值": "null", "未定义": "undefined", "未捕获": "uncaught unhandled", "未处理": "unhandled", "异常": "exception",
    "抛出": "throw thrown raise raised", "栈溢出": "stack overflow", "堆栈": "stack trace stacktrace traceback",
    "调用栈": "call stack stack trace", "句柄": "handle descriptor", "文件描述符": "file descriptor descriptors",
    "打开文件过多": "too many open files", "线程": "thread", "线程池": "thread pool", "协程": "coroutine goroutine",
    "死循环": "infinite loop", "竞态": "race condition", "竞争": "race contention", "僵尸进程": "zombie defunct",
    "子进程": "child process subprocess", "父进程": "parent process", "进程号": "pid", "互斥锁": "mutex",
    "信号量": "semaphore", "乱码": "encoding garbled decode", "编码": "encoding encode", "解码": "decode decoding",
    "字符集": "charset character set encoding", "时区": "timezone time zone", "时间戳": "timestamp",
    "序列化": "serialize serialization", "反序列化": "deserialize deserialization unmarshal",
    "格式错误": "malformed invalid format", "格式": "format", "非法": "invalid illegal", "无效": "invalid",
    "不合法": "invalid illegal", "不支持": "unsupported not supported", "未知": "unknown",
    "不识别": "unrecognized unknown", "不认识": "unknown unrecognized", "识别不了": "unrecognized unknown",
    "未注册": "unregistered not registered", "注册": "register registered registration", "类型": "type",
    "类型错误": "typeerror type mismatch", "参数": "argument parameter", "选项": "option flag",
    "导入失败": "import error importerror", "符号": "symbol", "未定义符号": "undefined symbol",
    "冲突": "conflict conflicts", "版本冲突": "version conflict", "依赖冲突": "dependency conflict conflicting",
    "除零": "division by zero", "越界": "out of range out of bounds", "下标": "index", "断言": "assertion assert",
    "递归": "recursion recursive", "非零": "non-zero nonzero", "返回码": "exit code return code",
    "状态码": "status code", "状态": "status state", "状态锁": "state lock", "状态文件": "state file",
    "运行时": "runtime", "解释器": "interpreter", "编译器": "compiler", "头文件": "header headers",
    "工具链": "toolchain", "插件": "plugin", "扩展": "extension", "已存在": "already exists",
    "已经存在": "already exists", "重名": "name conflict already exists", "版本过低": "version too old required outdated",
    "版本不匹配": "version mismatch", "太旧": "too old outdated", "入口文件": "entrypoint entry point",
    "入口点": "entrypoint entry point",

    # --- locks ---
    "锁住": "locked lock", "被锁": "locked lock", "加锁": "lock acquire locking", "获取锁": "acquire lock acquiring",
    "拿不到锁": "acquire lock acquiring", "释放锁": "release lock", "解锁": "unlock", "强制解锁": "force-unlock force unlock",
    "持有": "held holding hold", "锁等待": "lock wait timeout", "锁超时": "lock timeout", "行锁": "row lock",
    "表锁": "table lock",

    # --- how a thing fails ---
    "失效": "invalid expired stale", "过时": "outdated stale deprecated", "废弃": "deprecated", "弃用": "deprecated",
    "陈旧": "stale", "损坏": "corrupt corrupted", "坏掉": "broken", "中断": "interrupted interrupt",
    "被中断": "interrupted", "取消": "cancel canceled cancelled", "被取消": "cancelled canceled", "强制": "force forced",
    "溢出": "overflow", "丢包": "packet loss", "丢弃": "dropped discarded", "被丢掉": "dropped discarded",
    "丢掉": "dropped discarded", "不一致": "inconsistent mismatch", "不匹配": "mismatch does not match",
    "对不上": "mismatch does not match", "不符": "mismatch does not match", "抖动": "flapping jitter",
    "飙升": "spike", "暴涨": "spike surge", "激增": "spike surge", "打满": "saturated full", "撑爆": "exhausted overflow",
    "用尽": "exhausted", "挂起": "hang suspended pending", "无响应": "unresponsive no response",
    "没响应": "no response unresponsive", "没有响应": "no response unresponsive", "卡顿": "slow lag",
    "超载": "overload overloaded", "过载": "overload overloaded", "不可用": "unavailable",
    "告警": "alert alerting", "报警": "alert alarm", "警告": "warning", "致命": "fatal", "严重": "critical severe",
    "重连": "reconnect reconnecting", "断线": "disconnected", "掉线": "disconnected", "断连": "disconnect disconnected",
    "重置": "reset", "连接重置": "connection reset reset by peer", "关闭": "close closed shutdown",
    "被拒": "rejected denied refused", "拒收": "rejected", "没通过": "failed rejected",
    "通不过": "failed rejected", "生效": "applied effect", "覆盖": "overwrite override overwritten",
    "被覆盖": "overwritten", "误删": "accidentally deleted", "清理": "cleanup prune clean", "清空": "clear purge flush",
    "回收": "reclaim garbage collection", "垃圾回收": "garbage collection gc", "漂移": "drift", "幂等": "idempotent",
    "跑不起来": "fails to start cannot run", "用不了": "not working unavailable", "没反应": "no response unresponsive",
    "不通": "unreachable", "卡在": "stuck hang", "一直失败": "keeps failing failed", "超出": "exceeded exceeds",
    "超额": "exceeded quota", "限制": "limit limits restricted", "被限制": "throttled limited restricted",
    "拦截": "blocked intercepted", "屏蔽": "blocked", "放行": "allow allowed",

    # --- databases ---
    "表结构": "schema", "外键": "foreign key", "唯一索引": "unique index", "主键冲突": "duplicate key primary key",
    "慢查询": "slow query", "执行计划": "query plan explain", "全表扫描": "full table scan seq scan",
    "复制": "replication replicate copy", "主从复制": "replication", "复制延迟": "replication lag",
    "同步延迟": "replication lag sync delay", "备份": "backup", "还原": "restore", "连接数": "connections max connections",
    "最大连接数": "max connections too many connections", "连接过多": "too many connections",
    "连接泄漏": "connection leak", "自增": "auto increment serial sequence", "排序规则": "collation",
    "存储过程": "stored procedure", "触发器": "trigger", "物化视图": "materialized view", "分库分表": "sharding",
    "归档": "archive archiving", "预写日志": "wal write-ahead log", "检查点": "checkpoint", "膨胀": "bloat",
    "碎片": "fragmentation", "压缩": "compress compression compact compaction", "碎片整理": "defragment defrag",
    "持久化": "persistence persist", "淘汰": "eviction evict", "命中率": "hit rate", "未命中": "miss cache miss",
    "读写分离": "read write split", "隔离级别": "isolation level", "提交": "commit", "未提交": "uncommitted",
    "数据目录": "data directory data dir", "数据文件": "data file",

    # --- queues ---
    "消息队列": "message queue mq", "主题": "topic", "分区": "partition", "偏移量": "offset", "偏移": "offset",
    "位点": "offset", "消费组": "consumer group", "消费者组": "consumer group", "生产者": "producer",
    "订阅": "subscribe subscription", "死信": "dead letter dlq", "死信队列": "dead letter queue dlq",
    "消息确认": "ack acknowledge", "重投": "redeliver redelivery requeue", "重新投递": "redeliver redelivery",
    "重新入队": "requeue", "再平衡": "rebalance rebalancing", "重平衡": "rebalance rebalancing",
    "重复消费": "duplicate consume redelivered", "乱序": "out of order", "任务队列": "task queue",
    "工作进程": "worker", "执行器": "executor runner",

    # --- CI/CD and release ---
    "持续集成": "ci continuous integration", "持续部署": "cd continuous deployment", "作业": "job",
    "步骤": "step", "阶段": "stage", "运行器": "runner", "构建机": "runner build agent", "制品": "artifact artifacts",
    "产物": "artifact artifacts output", "触发": "trigger triggered", "合并": "merge", "合并请求": "merge request pull request",
    "分支": "branch", "变基": "rebase", "强推": "force push", "强制推送": "force push", "克隆": "clone",
    "子模块": "submodule", "钩子": "hook hooks", "工作区": "workspace working tree", "远程": "remote",
    "凭据": "credentials credential", "凭证": "credentials credential", "机密": "secret secrets", "密文": "secret",
    "预发": "staging", "预发布": "staging pre-release", "测试环境": "test staging environment",
    "生产环境": "production prod", "线上": "production prod", "上线": "release deploy go live", "发版": "release",
    "发布": "release publish rollout", "审批": "approval", "签名": "signature sign signing signed",
    "验签": "signature verify verification", "校验": "verify check checksum validate validation",
    "校验和": "checksum", "哈希": "hash digest", "摘要": "digest", "完整性": "integrity", "一致性": "consistency",
    "历史": "history", "无关历史": "unrelated histories", "快进": "fast-forward", "分离头指针": "detached head",
    "检出": "checkout", "大文件": "large file lfs", "忽略": "ignore ignored", "远程仓库": "remote repository",
    "重新部署": "redeploy", "重新构建": "rebuild", "重建": "rebuild recreate", "打包": "bundle package pack build",

    # --- web servers and HTTP ---
    "网关超时": "gateway timeout 504", "错误网关": "bad gateway 502", "坏网关": "bad gateway 502",
    "重定向": "redirect redirects", "循环重定向": "redirect loop too many redirects", "跨域": "cors cross-origin",
    "请求头": "request header headers", "响应头": "response header headers", "头部": "header headers",
    "请求体": "request body", "请求体过大": "request entity too large 413 body size", "上传": "upload",
    "下载": "download", "静态资源": "static assets files", "静态文件": "static files", "会话": "session",
    "粘性会话": "sticky session", "长连接": "keepalive keep-alive websocket", "保活": "keepalive keep-alive",
    "套接字": "socket", "端点": "endpoint", "虚拟主机": "virtual host vhost", "站点": "site",
    "转发": "forward forwarding proxy_pass", "重写": "rewrite", "子路径": "subpath sub-path path prefix",
    "路径前缀": "path prefix", "前缀": "prefix", "后缀": "suffix", "绑定": "bind", "绑定失败": "bind failed",
    "端口冲突": "port conflict already in use", "白名单": "whitelist allowlist", "黑名单": "blacklist blocklist",
    "请求过多": "too many requests 429", "未授权": "unauthorized 401", "禁止访问": "forbidden 403",
    "内部错误": "internal server error 500", "服务器内部错误": "internal server error 500",
    "服务不可用": "service unavailable 503", "上游服务器": "upstream server", "直连": "direct directly",

    # --- TLS and keys ---
    "证书链": "certificate chain", "中间证书": "intermediate certificate chain", "根证书": "root ca certificate",
    "自签名": "self-signed", "自签": "self-signed", "证书颁发机构": "certificate authority ca", "吊销": "revoked revoke",
    "有效期": "validity expiry expires", "主机名不匹配": "hostname mismatch", "域名不匹配": "hostname mismatch",
    "加密套件": "cipher suite", "双向认证": "mutual tls mtls client certificate", "客户端证书": "client certificate",
    "信任": "trust trusted", "不受信任": "untrusted not trusted", "不信任": "untrusted not trusted",
    "密钥对": "key pair keypair", "主密钥": "master key", "轮换": "rotate rotation", "密钥轮换": "key rotation",
    "解密": "decrypt decryption", "加密失败": "encryption failed", "续签": "renew renewal",

    # --- DNS and network ---
    "域名解析": "dns resolution resolve", "解析失败": "resolve failed resolution", "解析记录": "dns record",
    "泛解析": "wildcard dns", "通配符": "wildcard", "子域名": "subdomain", "二级域名": "subdomain",
    "域名服务器": "nameserver dns server", "内网": "internal private network", "外网": "public external internet",
    "公网": "public internet", "网段": "subnet cidr", "子网": "subnet", "网卡": "network interface nic",
    "路由表": "route table", "出站": "outbound egress", "入站": "inbound ingress", "安全组": "security group",
    "网络策略": "network policy networkpolicy", "隧道": "tunnel", "抓包": "tcpdump packet capture",
    "回环": "loopback", "本机": "localhost local", "对端": "peer", "客户端": "client", "服务端": "server",
    "没有路由": "no route to host", "地址已被使用": "address already in use",

    # --- cloud ---
    "对象存储": "object storage s3 bucket", "存储桶": "bucket", "桶": "bucket", "云盘": "cloud disk volume",
    "块存储": "block storage", "负载均衡器": "load balancer", "访问密钥": "access key", "策略": "policy",
    "账号": "account", "账户": "account", "计费": "billing", "欠费": "billing overdue suspended",
    "无服务器": "serverless", "冷启动": "cold start", "托管": "managed hosted", "实例类型": "instance type",
    "机型": "instance type",

    # --- packages and environments ---
    "包管理": "package manager", "包管理器": "package manager", "依赖树": "dependency tree",
    "依赖解析": "dependency resolution resolver resolve", "锁定": "lock locked pin pinned", "锁定文件": "lockfile lock file",
    "镜像源": "mirror registry index", "软件源": "repository mirror sources", "私服": "private registry",
    "虚拟环境": "virtualenv venv virtual environment", "全局安装": "global install",
    "对等依赖": "peer dependency peer dependencies", "传递依赖": "transitive dependency", "补丁": "patch",
    "安装失败": "install failed installation failed", "卸载": "uninstall unmount",

    # --- access ---
    "鉴权": "authorization auth", "访问被拒": "access denied", "拒绝访问": "access denied",
    "没权限": "permission denied", "无权限": "permission denied forbidden", "会话过期": "session expired",
    "用户名": "username user", "登录失败": "login failed", "单点登录": "sso single sign-on",
    "二次验证": "2fa mfa", "漏洞": "vulnerability cve", "审计": "audit", "提权": "privilege escalation",
    "特权": "privileged", "超级用户": "superuser", "用户组": "group",

    # --- files and storage ---
    "硬盘": "disk", "磁盘已满": "disk full no space left", "索引节点": "inode inodes", "挂载点": "mount point mountpoint",
    "只读文件系统": "read-only file system", "软链接": "symlink symbolic link", "符号链接": "symlink symbolic link",
    "硬链接": "hard link", "可执行权限": "executable permission chmod", "临时文件": "temp temporary file tmp",
    "临时目录": "tmp temp directory", "配置文件": "config file configuration", "日志轮转": "log rotation logrotate",
    "截断": "truncate truncated", "手工": "manual manually", "手工创建": "manually created",

    # --- time, services, monitoring ---
    "时钟漂移": "clock skew drift", "时钟偏差": "clock skew", "间隔": "interval", "过期时间": "ttl expiry expiration",
    "开机自启": "enable boot startup", "单元": "unit", "重新加载": "reload", "重载": "reload",
    "平滑重启": "graceful restart reload", "优雅重启": "graceful restart", "启动失败": "failed to start start failed",
    "启动超时": "start timeout startup timeout", "开机": "boot", "监控": "monitoring monitor metrics",
    "指标": "metrics metric", "采集": "scrape collect collector", "抓取": "scrape fetch", "探测": "probe",
    "链路追踪": "tracing trace", "仪表盘": "dashboard", "阈值": "threshold",

    # --- verbs ---
    "更新": "update", "刷新": "refresh", "回调": "callback webhook", "调用": "call invoke", "加载": "load loading",
    "加载失败": "failed to load", "导出": "export", "解压": "extract unzip decompress", "压缩包": "archive tarball zip",
    "分配": "allocate allocation assigned", "释放": "release free", "注入": "inject injection", "渲染": "render rendering",
    "执行": "exec execute", "停止": "stop stopped", "暂停": "pause paused", "重装": "reinstall", "清除": "clear purge",
    "刷盘": "flush fsync", "过滤": "filter", "匹配": "match", "替换": "replace", "订阅者": "subscriber",

    # --- how it is said in chat ---
    "连不到": "cannot connect unreachable", "连不通": "cannot connect unreachable", "访问不到": "cannot access unreachable",
    "拉不到": "cannot pull pull failed", "下载不了": "download failed cannot download", "装不上": "install failed cannot install",
    "装不了": "install failed cannot install", "编译不过": "compile failed build failed", "编不过": "compile failed build failed",
    "推不上去": "push failed push rejected", "推送失败": "push failed", "登不上": "login failed cannot login",
    "登录不上": "login failed cannot login", "进不去": "cannot access login failed", "启动不起来": "fails to start cannot start",
    "读超时": "read timeout", "写超时": "write timeout", "没找到": "not found", "找不着": "not found",
    "识别不到": "not found unrecognized", "不能用": "not working unavailable", "不工作": "not working",
    "没生效": "not applied ignored", "不起作用": "not applied no effect", "失灵": "not working broken",
    "白屏": "blank page", "空白页": "blank page", "跳转": "redirect", "无限重定向": "redirect loop too many redirects",
    "被干掉": "killed", "被杀掉": "killed", "闪退": "crash exits immediately", "秒退": "exits immediately",
    "启动即退出": "exits immediately on start", "立即退出": "exits immediately", "自动退出": "exited exits",
    "满了": "full", "爆满": "full", "吃满": "saturated full", "吃光": "exhausted", "耗光": "exhausted", "变慢": "slow slowdown",
    "断了": "disconnected broken", "断掉": "disconnected", "丢了": "lost missing", "消失": "disappeared missing gone",
    "不见了": "missing gone", "拿不到": "cannot get fetch failed", "获取失败": "failed to get fetch failed",
    "写不进": "cannot write write failed", "写不了": "cannot write read-only", "读不了": "cannot read read failed",
    "删不掉": "cannot delete", "删不了": "cannot delete", "停不下来": "cannot stop hang", "杀不掉": "cannot kill",
    "调度不上": "unschedulable failedscheduling", "调度失败": "scheduling failed failedscheduling",
    "不够": "insufficient not enough", "资源不够": "insufficient resources", "内存不够": "insufficient memory oom",
    "空间不够": "no space left", "太长": "too long", "过长": "too long", "超长": "too long",
    "太大": "too large", "过大": "too large", "太多": "too many", "过多": "too many", "偶发": "intermittent flaky sporadic",
    "偶尔": "occasionally intermittent", "时好时坏": "intermittent flaky", "不稳定": "unstable flaky",
    "性能下降": "degraded performance slow", "性能": "performance", "瓶颈": "bottleneck", "级联": "cascading cascade",
    "雪崩": "cascading failure stampede avalanche", "退避": "backoff back-off", "空闲": "idle", "孤儿": "orphan orphaned",
    "残留": "leftover stale remaining", "回退": "revert rollback rolled back", "绕过": "bypass workaround",
    "临时方案": "workaround", "热修复": "hotfix", "回归": "regression", "延时": "latency delay",

    # --- more nouns of the trade ---
    "宿主机": "host", "反代": "reverse proxy proxy", "回源": "origin upstream", "源站": "origin",
    "缓存穿透": "cache penetration cache miss", "缓存击穿": "cache breakdown hot key", "热点": "hot key hotspot",
    "慢日志": "slow log slowlog", "锁表": "table lock locked", "列名": "column name", "消息体": "message body payload",
    "测试": "test tests", "单元测试": "unit test tests", "测试失败": "test failed tests failed",
    "栈": "stack", "找不到类": "class not found", "类找不到": "class not found", "方法找不到": "method not found nosuchmethod",
    "语法错误": "syntax error syntaxerror", "缩进": "indentation indent", "拼写错误": "typo misspelled",
    "大小写": "case-sensitive case", "换行符": "line endings crlf newline", "软链": "symlink", "版本号": "version",
    "网页": "web page", "网站": "website site", "第三方": "third-party", "存活探针": "liveness probe",
    "就绪探针": "readiness probe", "探活": "liveness probe", "重启次数": "restarts restart count",
    "镜像标签": "image tag", "拉镜像": "pull image", "推镜像": "push image",
    # --- platform, OS and language runtimes ---
    "资源请求": "resource requests", "服务发现": "service discovery", "注册中心": "service registry discovery",
    "配置中心": "config server configuration", "服务网格": "service mesh", "端口转发": "port forward port-forward",
    "内网穿透": "tunnel", "定时器": "timer", "内核": "kernel", "内核参数": "sysctl kernel parameter",
    "句柄数": "file descriptors ulimit nofile", "最大文件数": "ulimit nofile open files", "进程数": "processes nproc",
    "系统调用": "syscall system call", "开机启动": "enable boot startup", "软件包": "package packages",
    "垃圾收集": "gc garbage collection", "堆内存": "heap memory", "元空间": "metaspace", "类加载": "classloader class loading",
    "线程栈": "thread stack", "表空间": "tablespace", "连接串": "connection string dsn", "连接字符串": "connection string dsn",
    "回放": "replay", "重放": "replay", "双写": "dual write", "密钥管理": "kms key management",
    "证书不匹配": "certificate mismatch hostname", "不完整": "incomplete", "证书链不完整": "incomplete certificate chain",
    # --- more of the same, as post-mortems put it ---
    "等待": "wait waiting", "负载高": "high load", "飙高": "spike high", "非快进": "non-fast-forward rejected",
    "安装源": "package source repository mirror", "下载源": "mirror", "子账号": "sub-account", "访问控制": "access control acl",
    "越权": "unauthorized privilege", "网络模式": "network mode", "桥接": "bridge", "主机网络": "host network",
    "容器名": "container name", "构建上下文": "build context", "上下文": "context", "工作负载": "workload",
    "节点池": "node pool", "节点组": "node group", "拓扑": "topology", "拉取策略": "pull policy imagepullpolicy",
    "统计信息": "statistics analyze", "重复键": "duplicate key", "哨兵": "sentinel", "未分配": "unassigned",
    "误报": "false positive", "漏报": "missed alert", "采集器": "collector agent", "没执行": "not executed did not run",
    "没跑": "did not run", "异常退出": "exited unexpectedly abnormal exit crash", "意外退出": "exited unexpectedly",
    "僵死": "hung zombie", "假死": "hung unresponsive frozen",
}

# Words that are no ops term but contain one (表 in 表示 is not a table, 包 in 包括 not a package):
# found like keys, so the shorter key is not counted inside them; their own words, if any, are added.
ZH_WHOLE: dict[str, str] = {
    "表示": "", "代表": "", "表明": "", "表现": "", "发表": "", "包括": "", "包含": "", "卷入": "",
    "堆积": "backlog pile up", "不通过": "failed rejected",
}

EN_ZH: dict[str, str] = {
    # --- the first glossary (kept as it was measured) ---
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
    "unhealthy": "不健康", "read only": "只读", "readonly": "只读", "connection": "连接", "connections": "连接",
    "reload": "重载", "handshake": "握手", "tls": "证书 加密", "ssl": "证书 加密", "table": "表", "column": "字段",
    "index": "索引", "auth": "认证", "login": "登录", "user": "用户", "file": "文件", "restarts": "重启",
    "restarting": "重启", "crashes": "崩溃", "crashed": "崩溃", "hang": "卡住", "stuck": "卡住", "singleton": "单例",
    "push": "推送", "clock": "时钟", "deadlock": "死锁", "exhaustion": "耗尽", "concurrency": "并发",
    "unreachable": "连不上 不可达", "reach": "连不上", "outage": "宕机", "held": "占用",

    # --- hosts, capacity, high availability ---
    "vm": "虚拟机", "virtual machine": "虚拟机", "availability zone": "可用区", "bandwidth": "带宽", "throughput": "吞吐",
    "spike": "飙升 激增", "autoscaler": "自动扩缩", "autoscaling": "自动扩缩 弹性伸缩", "replicas": "副本", "shard": "分片",
    "sharding": "分片 分库分表", "failover": "故障转移 主备切换", "leader": "主节点 选主", "election": "选主", "quorum": "仲裁 多数派",
    "heartbeat": "心跳", "lease": "租约", "split brain": "脑裂", "control plane": "控制面", "cpu": "处理器 使用率", "swap": "交换分区",
    "utilization": "使用率 利用率", "memory leak": "内存泄漏", "leak": "泄漏 泄露", "leaked": "泄漏 泄露",
    "out of memory": "内存不足 内存溢出",

    # --- containers and Kubernetes ---
    "pod": "容器组", "namespace": "命名空间", "daemonset": "守护进程集", "statefulset": "有状态", "serviceaccount": "服务账号",
    "service account": "服务账号", "rolebinding": "角色绑定", "forbidden": "禁止 无权限", "ingress": "入口", "taint": "污点",
    "toleration": "容忍", "affinity": "亲和性", "evicted": "驱逐", "eviction": "驱逐 淘汰", "evict": "驱逐 淘汰",
    "preempted": "抢占", "preemption": "抢占", "pending": "待调度 挂起", "unschedulable": "无法调度",
    "failedscheduling": "无法调度 调度", "admission": "准入", "webhook": "回调 钩子", "sidecar": "边车", "terminating": "终止",
    "terminated": "终止", "rollout": "发布 滚动更新", "rolling update": "滚动更新", "canary": "灰度", "quota": "配额 限额",
    "throttled": "限流 节流", "throttling": "限流 节流", "throttle": "限流 节流", "circuit breaker": "熔断",
    "imagepullbackoff": "镜像 拉取失败", "errimagepull": "镜像 拉取失败", "crashloopbackoff": "崩溃 反复重启", "manifest": "清单",
    "base image": "基础镜像", "persistent volume": "持久卷", "persistentvolumeclaim": "持久卷声明", "pvc": "持久卷声明",
    "configmap": "配置映射", "ownership": "所有权 属主", "owner": "属主 所有者", "metadata": "元数据", "annotation": "注解",
    "annotations": "注解", "adopt": "接管", "take over": "接管",

    # --- processes, runtime errors ---
    "segfault": "段错误", "segmentation": "段错误", "sigsegv": "段错误", "core dump": "核心转储", "core dumped": "核心转储",
    "null": "空指针 空值", "nil": "空指针", "undefined": "未定义", "uncaught": "未捕获", "unhandled": "未处理 未捕获",
    "exception": "异常", "stacktrace": "堆栈", "stack trace": "堆栈 调用栈", "traceback": "堆栈 调用栈", "stack overflow": "栈溢出",
    "descriptor": "文件描述符 句柄", "too many open files": "打开文件过多 文件描述符", "thread": "线程", "goroutine": "协程",
    "coroutine": "协程", "race": "竞态", "race condition": "竞态", "zombie": "僵尸进程", "defunct": "僵尸进程",
    "subprocess": "子进程", "mutex": "互斥锁", "encoding": "编码 乱码", "decode": "解码 乱码", "charset": "字符集", "timezone": "时区",
    "timestamp": "时间戳", "serialize": "序列化", "serialization": "序列化", "deserialize": "反序列化", "unmarshal": "反序列化",
    "malformed": "格式错误", "invalid": "无效 非法", "illegal": "非法", "unsupported": "不支持", "not supported": "不支持",
    "unknown": "未知", "unrecognized": "不识别 未知", "unregistered": "未注册", "registered": "注册", "registration": "注册",
    "mismatch": "不匹配 不一致", "inconsistent": "不一致", "conflict": "冲突", "conflicting": "冲突", "division by zero": "除零",
    "out of range": "越界", "out of bounds": "越界", "assertion": "断言", "recursion": "递归", "nonzero": "非零",
    "non zero": "非零", "exit code": "退出码 返回码", "status code": "状态码", "state lock": "状态锁", "state file": "状态文件",
    "toolchain": "工具链", "already exists": "已存在", "entrypoint": "入口 入口文件",

    # --- locks ---
    "locked": "锁住 被锁", "acquire": "获取锁 加锁", "unlock": "解锁", "force unlock": "强制解锁", "lock wait": "锁等待",

    # --- how a thing fails ---
    "deprecated": "废弃 弃用", "outdated": "过时 版本过低", "corrupt": "损坏", "corrupted": "损坏", "corruption": "损坏",
    "interrupted": "中断", "cancelled": "取消", "canceled": "取消", "cancel": "取消", "overflow": "溢出", "packet loss": "丢包",
    "flapping": "抖动", "saturated": "打满", "backlog": "积压 堆积", "unresponsive": "无响应", "no response": "无响应 没响应",
    "overloaded": "过载", "overload": "过载", "unavailable": "不可用", "fatal": "致命", "reconnect": "重连",
    "disconnected": "断开 断线", "disconnect": "断开", "reset by peer": "连接重置", "rejected": "拒绝 被拒", "overwritten": "覆盖",
    "prune": "清理", "purge": "清除 清空", "garbage collection": "垃圾回收", "drift": "漂移", "idempotent": "幂等",
    "exceeded": "超出 超限", "restricted": "限制", "blocked": "阻塞 拦截", "intercepted": "拦截", "hung": "卡死 卡住",
    "expire": "过期", "expiry": "过期 有效期", "expiration": "过期",

    # --- databases ---
    "schema": "表结构", "foreign key": "外键", "slow query": "慢查询", "replication": "复制 主从",
    "too many connections": "连接数 连接过多", "max connections": "最大连接数", "auto increment": "自增", "collation": "排序规则",
    "stored procedure": "存储过程", "materialized view": "物化视图", "wal": "预写日志", "checkpoint": "检查点", "vacuum": "清理 膨胀",
    "bloat": "膨胀", "fragmentation": "碎片", "compact": "压缩", "compaction": "压缩", "compress": "压缩",
    "compression": "压缩", "persistence": "持久化", "hit rate": "命中率", "cache miss": "未命中", "uncommitted": "未提交",
    "data directory": "数据目录",

    # --- queues ---
    "message queue": "消息队列", "consumer group": "消费组", "subscriber": "订阅者", "dead letter": "死信", "dlq": "死信队列",
    "ack": "确认", "acknowledge": "确认", "redelivery": "重新投递 重投", "redeliver": "重新投递 重投", "requeue": "重新入队",
    "rebalance": "再平衡 重平衡", "rebalancing": "再平衡 重平衡", "cron": "定时任务",

    # --- CI/CD and release ---
    "artifact": "制品 产物", "artifacts": "制品 产物", "merge request": "合并请求", "pull request": "合并请求", "rebase": "变基",
    "force push": "强推 强制推送", "submodule": "子模块", "credentials": "凭据 凭证", "credential": "凭据 凭证", "secret": "密钥 机密",
    "secrets": "密钥 机密", "signature": "签名", "signed": "签名", "signing": "签名", "verify": "校验 验证",
    "verification": "校验 验证", "validation": "校验", "checksum": "校验和 校验", "hash": "哈希", "digest": "摘要 哈希",
    "integrity": "完整性", "consistency": "一致性", "unrelated histories": "无关历史", "fast forward": "快进",
    "detached head": "分离头指针", "lfs": "大文件", "gitignore": "忽略", "redeploy": "重新部署", "rebuild": "重新构建 重建",

    # --- web servers and HTTP ---
    "gateway timeout": "网关超时", "bad gateway": "错误网关 网关", "redirect": "重定向", "redirects": "重定向",
    "too many redirects": "循环重定向 重定向", "cors": "跨域", "cross origin": "跨域", "request body": "请求体",
    "entity too large": "请求体过大", "static files": "静态文件", "sticky session": "粘性会话", "keepalive": "长连接 保活",
    "keep alive": "长连接 保活", "websocket": "长连接", "vhost": "虚拟主机", "virtual host": "虚拟主机", "proxy pass": "转发",
    "subpath": "子路径", "too many requests": "请求过多 限流", "unauthorized": "未授权",
    "internal server error": "服务器内部错误 内部错误", "service unavailable": "服务不可用",
    "address already in use": "地址已被使用 端口 占用",

    # --- TLS and keys ---
    "certificate chain": "证书链", "intermediate": "中间证书", "root ca": "根证书", "self signed": "自签名",
    "certificate authority": "证书颁发机构", "revoked": "吊销", "validity": "有效期", "cipher": "加密套件", "mtls": "双向认证",
    "client certificate": "客户端证书", "untrusted": "不受信任", "x509": "证书", "keypair": "密钥对", "key pair": "密钥对",
    "master key": "主密钥", "rotation": "轮换", "rotate": "轮换", "decrypt": "解密", "decryption": "解密", "encrypt": "加密",
    "encryption": "加密", "encrypted": "加密", "renewal": "续期 续签",

    # --- DNS and network ---
    "dns": "域名解析 域名", "resolve": "解析", "resolution": "解析", "nxdomain": "域名 不存在", "nameserver": "域名服务器",
    "wildcard": "通配符 泛解析", "subdomain": "子域名", "subnet": "子网 网段", "cidr": "网段", "egress": "出站", "inbound": "入站",
    "outbound": "出站", "tunnel": "隧道", "loopback": "回环 本机", "localhost": "本机", "security group": "安全组",
    "network policy": "网络策略", "no route to host": "路由 不可达", "tcpdump": "抓包",

    # --- cloud ---
    "bucket": "存储桶", "object storage": "对象存储", "s3": "对象存储", "block storage": "块存储", "load balancer": "负载均衡",
    "access key": "访问密钥", "billing": "计费", "serverless": "无服务器", "cold start": "冷启动", "instance type": "实例类型 机型",

    # --- packages and environments ---
    "package manager": "包管理器", "resolver": "依赖解析", "virtualenv": "虚拟环境", "venv": "虚拟环境",
    "virtual environment": "虚拟环境", "peer dependency": "对等依赖", "transitive": "传递依赖", "uninstall": "卸载",
    "unmount": "卸载",

    # --- access ---
    "authorization": "授权 鉴权", "access denied": "拒绝访问 访问被拒", "permission denied": "权限 拒绝", "username": "用户名",
    "sso": "单点登录", "mfa": "二次验证", "vulnerability": "漏洞", "cve": "漏洞", "audit": "审计", "privileged": "特权",
    "superuser": "超级用户",

    # --- files and storage ---
    "inode": "索引节点", "inodes": "索引节点", "mountpoint": "挂载点", "mount point": "挂载点", "symlink": "软链接 符号链接",
    "symbolic link": "软链接 符号链接", "hard link": "硬链接", "chmod": "可执行权限 权限", "logrotate": "日志轮转", "truncated": "截断",
    "truncate": "截断", "no space left": "空间不足 磁盘已满", "disk full": "磁盘已满",

    # --- time, services, monitoring ---
    "clock skew": "时钟偏差 时间不同步", "skew": "时钟偏差", "ntp": "时间同步", "ttl": "过期时间", "systemd": "服务", "journalctl": "日志",
    "monitoring": "监控", "scrape": "采集 抓取", "tracing": "链路追踪",

    # --- verbs ---
    "unzip": "解压", "tarball": "压缩包", "allocate": "分配", "allocation": "分配", "inject": "注入", "injection": "注入",
    "reinstall": "重装", "flush": "刷盘 清空", "fsync": "刷盘",

    # --- how it is said ---
    "refuse": "拒绝", "timing out": "超时", "not found": "找不到 不存在", "no such file": "找不到 文件 不存在",
    "does not exist": "不存在", "too large": "过大 太大", "too long": "过长 太长", "too many": "过多 太多",
    "flaky": "偶发 不稳定", "intermittent": "偶发 时好时坏", "intermittently": "偶发", "regression": "回归",
    "latency": "延迟 延时", "backoff": "退避 重试", "idle": "空闲", "orphan": "孤儿", "orphaned": "孤儿",
    "leftover": "残留", "revert": "回退 回滚", "hotfix": "热修复", "workaround": "临时方案 绕过", "bypass": "绕过",
    "degraded": "性能下降 降级", "performance": "性能", "bottleneck": "瓶颈", "cascading": "级联 雪崩",
    "stampede": "雪崩", "blank page": "白屏 空白页", "syntax error": "语法错误", "indentation": "缩进", "typo": "拼写错误",
    "line endings": "换行符", "crlf": "换行符", "slowlog": "慢日志", "hot key": "热点", "class not found": "找不到类",
    "third party": "第三方", "liveness": "存活探针 探活", "readiness": "就绪探针 就绪", "unstable": "不稳定",
    # --- platform, OS and language runtimes ---
    "kernel": "内核", "ulimit": "句柄数 最大文件数", "nofile": "句柄数 最大文件数", "metaspace": "元空间",
    "classloader": "类加载", "tablespace": "表空间", "dsn": "连接串 连接字符串", "connection string": "连接串 连接字符串",
    "replay": "重放 回放", "incomplete": "不完整", "port forward": "端口转发", "service discovery": "服务发现",
    "service mesh": "服务网格", "timer": "定时器", "syscall": "系统调用", "sysctl": "内核参数", "kms": "密钥管理",
    # --- more of the same, as post-mortems put it ---
    "sentinel": "哨兵", "unassigned": "未分配", "false positive": "误报", "workload": "工作负载", "node pool": "节点池",
    "topology": "拓扑", "build context": "构建上下文", "bridge": "桥接", "non fast forward": "非快进",
    "duplicate key": "重复键 主键冲突", "imagepullpolicy": "拉取策略", "exited unexpectedly": "异常退出 意外退出",
    "abnormal": "异常", "unexpectedly": "意外 异常", "acl": "访问控制", "access control": "访问控制",
}

_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

# English keys are looked up as words: "read-only" and "read only" are the same key
_EN: dict[str, str] = {" ".join(key.replace("-", " ").split()): value for key, value in EN_ZH.items()}
_EN_PHRASE = max(len(key.split()) for key in _EN)
# Chinese: one table of every key with its words, and the longest key (how far a scan looks ahead)
_ZH: dict[str, str] = {**ZH_EN, **{key: value for key, value in ZH_WHOLE.items() if key not in ZH_EN}}
_ZH_LONGEST = max(len(key) for key in _ZH)


def expand(text: str) -> str:
    """Words of the other language for the glossary entries found in text."""
    extra: list[str] = []
    for run in _CJK_RE.findall(text):
        extra.extend(_chinese_run(run))
    extra.extend(_english(text))
    return " ".join(dict.fromkeys(extra))


@lru_cache(maxsize=8192)
def _chinese_run(run: str) -> tuple[str, ...]:
    """English words for the keys in one run of Chinese text (a description repeats its runs).
    A key inside a longer key found there says less than it (分配 in 已被分配): only the longer counts."""
    found = []
    n = len(run)
    for i in range(n):
        for j in range(min(n, i + _ZH_LONGEST), i, -1):
            if run[i:j] in _ZH:
                found.append((i, j))
                break  # the longest key starting here
    out = []
    end = 0
    for i, j in found:
        if j <= end:
            continue  # inside the longer key before it
        end = j
        if _ZH[run[i:j]]:
            out.append(_ZH[run[i:j]])
    return tuple(out)


def _english(text: str) -> list[str]:
    words: list[str] = []
    for match in _WORD_RE.finditer(text):
        token = match.group(0)
        lower = token.lower()
        if token.islower() or token.isupper() or token[1:].islower():
            words.append(lower)
            continue
        parts = [part.lower() for part in _CAMEL_RE.findall(token)]
        words.append(lower)  # an identifier whole (OOMKilled) and in its parts (oom killed)
        words.extend(parts)
    return list(_english_words(tuple(words)))


@lru_cache(maxsize=4096)
def _english_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """The Chinese of each word, or of the longest phrase starting at it (state lock, not state and lock)."""
    out = []
    end = 0
    for i in range(len(words)):
        if i < end:
            continue  # inside the phrase before it
        for size in range(min(_EN_PHRASE, len(words) - i), 1, -1):
            phrase = _EN.get(" ".join(words[i:i + size]))
            if phrase:
                out.append(phrase)
                end = i + size
                break
        else:
            chinese = _en_word(words[i])
            if chinese:
                out.append(chinese)
    return tuple(out)


@lru_cache(maxsize=16384)
def _en_word(word: str) -> str:
    """The Chinese of a word, or of its stem when the word has a plain English ending."""
    found = _EN.get(word)
    if found is not None or len(word) <= 3:
        return found or ""
    for stem in _stems(word):
        found = _EN.get(stem)
        if found is not None:
            return found
    return ""


def _stems(word: str) -> list[str]:
    out = []
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    elif word.endswith("es"):
        out += [word[:-2], word[:-1]]
    elif word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
    elif word.endswith("ied"):
        out.append(word[:-3] + "y")
    elif word.endswith("ed"):
        out += [word[:-2], word[:-1]]
        if word[-3] == word[-4]:
            out.append(word[:-3])  # stopped -> stop
    elif word.endswith("ing"):
        out += [word[:-3], word[:-3] + "e"]
        if word[-4] == word[-5]:
            out.append(word[:-4])  # running -> run
    return out
