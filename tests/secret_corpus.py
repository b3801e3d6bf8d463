"""A corpus of synthetic secrets (our own, random-looking, valid for nothing) in the shapes reports hold.

SECRETS maps each secret's kind to the exact value that must never reach git, SQLite or the index.
`reports()` places them in incident reports: prose, `.env` blocks, commands, command output,
config files, tables, JSON service-account keys, PEM blocks, split across lines, URL-encoded.
READABLE lists what must stay readable: error messages, SHAs, UUIDs, image digests.
"""

from __future__ import annotations

PEM_BODY = [
    "MIIEowIBAAKCAQEAu7Xq9Lm2Vz9Rt4Wk8Nb3Hd6Jf1Gs5Py0AcEe3UuQwZt8Kq2L",
    "x7Vm4Rw9Nb3Hd6Jf1Gs5Py0AcEe3UuQwZt8Kq2Lx7Vm4Rw9Nb3Hd6Jf1Gs5Py0Ac",
    "Ee3UuQwZt8Kq2Lx7Vm4Rw9PemB0dyL1neThreeQ7xK2mZ8vR4tL9wN3bH6yJ1cF5",
    "dG0sA2pE7uI4oU9qW3eR8tY2uI6oP1aS5dF9gH3jK7lZ2xC6vB0nM4qW8eR2tY6",
]
SA_KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDSaK3yPr1vAtEq9Wm"

SECRETS: dict[str, str] = {
    "postgres-url": "Pg7xQ2vLm9Rt4Ws",
    "mongodb-url": "Mq3Zr8Kd1Vt6Hy",
    "redis-url": "Rd5Tk2Wq8Zm4",
    "github-pat": "ghp_R8kLq2Vx7Nm4Tz9Wb3Hc6Jd1Fs5Gy0PaEeUu",
    "github-fine-grained": "github_pat_11AB2CD3E0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPq",
    "aws-access-key-id": "AKIA4T7QZ2XW9LMN3PRS",
    "aws-secret-key": "9xK2mQ7vR4tL8wZ3nB6yH1cJ5dF0gS2aP7eU4iO9",
    "stripe-live": "sk_live_51Nq8Zt2Lx7Vm4Rw9Kb3Hd6Jf1Gs5Py0Ac",
    "slack-bot": "xoxb-4829163057-7391046285-Xq7Lm2Vz9Rt4Wk8Nb3Hd6Jf",
    "slack-webhook": "Zx9Lq2Vm7Rt4Wk8Nb3Hd6Jf1",
    "openai": "sk-proj-Qx7Lm2Vz9Rt4Wk8Nb3Hd6Jf1Gs5Py0AcEe3Uu",
    "anthropic": "sk-ant-api03-Zt8Kq2Lx7Vm4Rw9Nb3Hd6Jf1Gs5Py0Ac-Ee3UuQw",
    "google-api-key": "AIzaSyD7kQ2mX9vL4tR8wZ3nB6yH1cJ5dF0gS2a",
    "gitlab": "glpat-Xq7Lm2Vz9Rt4Wk8Nb3Hd",
    "npm": "npm_Qx7Lm2Vz9Rt4Wk8Nb3Hd6Jf1Gs5Py0AcEe3",
    "pypi": "pypi-AgEIcHlwaS5vcmcCJDQ3Zt8Kq2Lx7Vm4Rw9Nb3Hd6Jf1Gs5Py0AcEe3UuQwXy",
    "sendgrid": "SG.Xq7Lm2Vz9Rt4Wk8Nb3Hd6.Jf1Gs5Py0AcEe3UuQwZt8Kq2Lx7Vm4Rw9Nb3Hd6Jf1",
    "twilio": "SK7f3a9c2e8b1d4f6a0c5e9b2d7f1a3c8e",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvcHMtYm90Iiwicm9sZSI6ImFkbWluIn0."
           "Q7xK2mZ8vR4tL9wN3bH6yJ1cF5dG0sA2pE7uI4oU9qW",
    "pem-line-1": PEM_BODY[0],
    "pem-line-3": PEM_BODY[2],
    "service-account-key": SA_KEY_BODY,
    "service-account-key-id": "7c2e9a4f1b8d3e6a0c5f9b2d7e1a4c8f3b6d0e9a",
    "dotenv-password": "Vq4!mZ8#rT2w",
    "password-flag": "Kx8#Lm3$Qz7",
    "mysql-p": "My5qlR00tPw",
    "bearer": "Zt8Kq2Lx7Vm4Rw9Nb3Hd6Jf1",
    "basic-auth-header": "c3ZjLWRlcGxveTpCYXNpY1B3ZDk5",
    "curl-user": "Cu7lPw4ssXq9",
    "yaml-password": "Yml9PwQz4Lx",
    "json-password": "Js0nPw7Kq2Vx",
    "azure-account-key": "Az7Lm2Vz9Rt4Wk8Nb3Hd6Jf1Gs5Py0AcEe3UuQwZt8Kq2Lx7Vm4Rw9Nb3Hd6Jf1Gs5Py0AcEe3UuQwZt8K==",
    "adonet-password": "Ad0NetPw9Xq",
    "docker-auth": "ZGVwbG95OkRvY2tlclB3NzRYcTk=",
    "vault": "hvs.CAESIJx7Lm2Vz9Rt4Wk8Nb3Hd6Jf1Gs5Py0AcEe3",
    "chinese-label": "Zh9Mi4Ma7Qx",
    "url-encoded": "UrlEnc0dedPw7",
    "continued-flag": "Spl1tAcr0ssLn",
    "wrapped-token-head": "Wr4pp3dT0kenPartOne7Xq9Lm2",
    "wrapped-token-tail": "Vz9Rt4Wk8Nb3Hd6",
    "table-cell": "Tb1ePw9Kq2Lx",
    "k8s-secret-output": "UGFzc3dvcmQ5WHE3TG0y",
    "cookie": "S3ss10nC00kie9Xq",
    "api-key-header": "Ak7Hd3Rq9Lx2Vm8Wz4",
    "sas-signature": "Q2hhbmVsU2lnbmF0dXJlMTIz",
    "sentry-dsn": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
    "telegram": "5829163057:AAH7xQ2vLm9Rt4WsKd1Vt6HyZr8Kd1Vt6Hy",
    "digitalocean": "dop_v1_" + "7c2e9a4f1b8d3e6a" * 4,
    "huggingface": "hf_Qx7Lm2Vz9Rt4Wk8Nb3Hd6Jf1Gs5Py0AcE",
    "spring-datasource": "Spr1ngDsPw8",
    "gha-env-token": "Gh4ctT0kEnV4lue9",
    # written during a run (runbook_text and run inputs below)
    "run-variable": "Var1ablePw9Xq",
    "run-note": "N0teT0ken8Xq2Lm",
    "command-output": "0utputS3cretXq8",
    "failing-output": "Fa1lOutputT0ken8Xq2Lm",
    "learned-cause": "Cau5eSecretPw4",
    "learned-fix-token": "ghp_L3arn3dF1xT0kenQx7Lm2Vz9Rt4Wk8Nb3Hd6",
    "commit-message": "AKIA7Q2XW9LMN3PRSZT4",
    # issue 20: shapes that used to get through
    "aws-configure-secret": "Jx8vQ2mR7tL4wZ9nB3yH6cK1dF5gS0aP2eU7iO4q",
    "aws-configure-key-id": "AKIA2RZQ7XW4LMN9TPSV",
    "prose-secret-after-key-id": "Hq3Wn8Zt5Kv1Lp6Rx9Mb2Yc7Gd4Fs0Ja8Eu5Ti2o",
    "prose-key-id": "AKIA9PRS3LMN7QZ2XW4T",
    "docker-login-p": "dckr_pat_Q7xK2mZ8vR4tL9wN3bH6yJ1cF5d",
    "cli-p-password": "Rg7xLm2Qv9Kt",
    "twilio-auth-token-prose": "7f3a9c2e8b1d4f6a0c5e9b2d7f1a3c8e",
    "sendgrid-prose": "SG.Xq7Lm2Vz9R.Jf1Gs5Py0Ac",
    "pw-prose": "Pw9xLq2Vm7Rt4Wk8",
    "zh-prose-key": "Zk4Mi9Ya7QxLm2Vz9Rt4",
    "url-encoded-password": "p%40ss%2FVq8Lm3Zx7%23",
    "env-pwd": "Sm7pPwdQx2Lk9",
    "env-creds": "Cr3dsXq8Lm2Vz7",
    "env-passphrase": "Ph4seXq8Lm2Vz7Kt",
    "env-auth": "Au7hXq8Lm2Vz7Rt",
    "run-variable-pw": "L0ginPwXq7Lm2",
    "run-variable-cred": "Cr3dVarXq7Lm9",
}

# Also never stored in any form: the decoded URL-encoded passwords.
DECODED = {"url-encoded-decoded": SECRETS["url-encoded"] + "!", "url-encoded-password-decoded": "p@ss/Vq8Lm3Zx7#"}

READABLE = [
    "FATAL:  password authentication failed for user \"app\"",
    "3f9c2a1b7e4d5f6a8b9c0d1e2f3a4b5c6d7e8f90",
    "b7e4d5f",
    "550e8400-e29b-41d4-a716-446655440000",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "Error: connect ECONNREFUSED 10.0.3.4:5432",
    "Unexpected token < in JSON at position 0",
    "Error: secret \"db-credentials\" not found",
    "secretName: tls-storefront",
    "TokenExpiredError: jwt expired",
    "h1:Gc1u2E8dP3hBRzl9tcdG8tWTkDjC+5EoA+UnRqTEtgE=",
    "sha512-Q2hhbmdlTG9nRW50cnlTaGE1MTJJbnRlZ3JpdHlWYWx1ZTEyMzQ1Njc4OTA=",
    "req_8f14e45fceea167a5a36dedd4bea2543",
    "ERR_PNPM_OUTDATED_LOCKFILE",
    "InvalidClientTokenId: The security token included in the request is invalid",
    "Permission denied (publickey)",
    "max_tokens: 4096",
    "--password-stdin",
    "registry.example.io/shop/api@sha256:4c1e7a9b2d5f8e3a6c0b9d2e5f8a1c4b7e0d3f6a9c2e5b8d1f4a7c0e3b6d9f2a",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
    "the cache key 5d41402abc4b2a76b9719d911017c592 was stale",
    "SSH key fingerprint SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8",
    "Invalid token 550e8400-e29b-41d4-a716-446655440000 for request req_8f14e45fceea167a5a36dedd4bea2543",
    "kubectl -n observability delete secret sh.helm.release.v1.api.v42",
    "journalctl -u api --since today -p err",
    "Error: secret \"app-env-5k8f2m9t6h\" not found; kubectl get secret db-credentials-7f8c9d6b5",
]


def reports() -> dict[str, str]:
    """File name -> report text, every secret placed in a shape reports really use."""
    s = SECRETS
    pem = "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *PEM_BODY, "-----END RSA PRIVATE KEY-----"])
    sa_json = (
        '{\n  "type": "service_account",\n  "project_id": "shop-prod-4821",\n'
        f'  "private_key_id": "{s["service-account-key-id"]}",\n'
        f'  "private_key": "-----BEGIN PRIVATE KEY-----\\n{SA_KEY_BODY}\\nQ7xK2mZ8vR4tL9wN3bH6yJ1cF5dG0sA2pE7uI4oU9qW\\n'
        '-----END PRIVATE KEY-----\\n",\n'
        '  "client_email": "deployer@shop-prod-4821.iam.gserviceaccount.com",\n  "client_id": "104729384756102938475"\n}'
    )
    leak = f"""# Checkout API down after the database move

**Date**: 2025-03-14
**Service**: checkout-api

## Error: password authentication failed

The app could not reach the new primary with `postgres://app:{s["postgres-url"]}@db.internal:5432/app`:

```
{READABLE[0]}
{READABLE[5]}
```

**Root cause**: the new primary was created with another password; the GitHub token
{s["github-pat"]} used by the deploy job had also expired (its replacement: {s["github-fine-grained"]}).

**Fix**: rotated the AWS pair and restarted.

```bash
export AWS_ACCESS_KEY_ID={s["aws-access-key-id"]}
export AWS_SECRET_ACCESS_KEY={s["aws-secret-key"]}
curl -H "Authorization: Bearer {s["bearer"]}" https://api.shop.internal/v1/health
curl -u deploy:{s["curl-user"]} https://artifacts.shop.internal/upload
curl -H 'Authorization: Basic {s["basic-auth-header"]}' https://ci.shop.internal/job/deploy/build
mysql -uroot -p{s["mysql-p"]} -h db.internal shop
```

Stripe was still on {s["stripe-live"]} and Slack alerts went out with `{s["slack-bot"]}`
to https://hooks.slack.com/services/T04ABCD12/B05EFGH34/{s["slack-webhook"]}.

Commit {READABLE[1]} ({READABLE[2]}) fixed it; the request was {READABLE[2 + 1]}.
"""
    env = f"""# Staging deploy checklist and its config

## Deployment checklist

- [ ] Copy the environment
  ```bash
  cat > .env <<EOF
  DB_PASSWORD={s["dotenv-password"]}
  OPENAI_API_KEY={s["openai"]}
  ANTHROPIC_API_KEY={s["anthropic"]}
  GOOGLE_API_KEY={s["google-api-key"]}
  HF_TOKEN={s["huggingface"]}
  EOF
  ```
- [ ] Log in to the registry
  ```bash
  docker login registry.shop.internal --username ci --password '{s["password-flag"]}'
  ```
- [ ] Migrate with the long flag split over lines
  ```bash
  ./migrate --host db.internal \\
    --password \\
    {s["continued-flag"]}
  ```

## Config

```yaml
database:
  host: db.internal
  password: {s["yaml-password"]}
spring.datasource.password={s["spring-datasource"]}
```

```json
{{"user": "svc", "password": "{s["json-password"]}", "timeout": 30}}
```

| Variable | Value |
|----------|-------|
| DB_PASSWORD | {s["table-cell"]} |
| GITLAB | {s["gitlab"]} |

The wrapped token from the ticket:

```
export API_TOKEN={s["wrapped-token-head"]}
{s["wrapped-token-tail"]}
```

- GitHub Actions step env: `GH_TOKEN: {s["gha-env-token"]}`
- {READABLE[7]}
- `{READABLE[8]}`
- {READABLE[9]}
"""
    keys = f"""# Key rotation after the bucket leak

## Error: InvalidClientTokenId

```
{READABLE[14]}
```

The service-account key that was pasted into the ticket:

```json
{sa_json}
```

and the deploy key:

{pem}

**Fix**: revoked both, and the Azure connection string
`DefaultEndpointsProtocol=https;AccountName=shopstore;AccountKey={s["azure-account-key"]};EndpointSuffix=core.windows.net`
plus the SQL one `Server=tcp:sql.internal,1433;Database=shop;User Id=sa;Password={s["adonet-password"]};`.

~/.docker/config.json had `"auth": "{s["docker-auth"]}"`; Vault token {s["vault"]}.
Also revoked: {s["npm"]}, {s["pypi"]}, {s["sendgrid"]}, {s["twilio"]}, {s["digitalocean"]}.
Bot {s["telegram"]}; Sentry DSN https://{s["sentry-dsn"]}@o4821.ingest.sentry.io/42.

数据库密码：{s["chinese-label"]}

Image {READABLE[4]}; {READABLE[10]}; {READABLE[11]}; {READABLE[17]}; {READABLE[18]}; {READABLE[19]}.
"""
    output = f"""# Login loop on the admin app

## Error: TokenExpiredError: jwt expired

```
$ kubectl get secret admin-db -o yaml
apiVersion: v1
data:
  password: {s["k8s-secret-output"]}
kind: Secret
$ curl -v https://admin.shop.internal/api/me -H 'X-Api-Key: {s["api-key-header"]}'
> Cookie: session={s["cookie"]}
< HTTP/1.1 401 Unauthorized
{READABLE[9]}
```

The JWT in the request was {s["jwt"]}.

The export URL was https://shopstore.blob.core.windows.net/exports/a.csv?sv=2022-11-02&sig={s["sas-signature"]}&se=2025-03-15
and the job used `DATABASE_URL=postgresql%3A%2F%2Fapp%3A{s["url-encoded"]}%21%40db.internal%2Fshop`,
`mongodb+srv://svc:{s["mongodb-url"]}@cluster0.ab12c.mongodb.net/prod` and `redis://:{s["redis-url"]}@cache.internal:6379/0`.

Other errors seen: {READABLE[6]}; {READABLE[12]}; {READABLE[13]}; {READABLE[15]}; {READABLE[16]}.
"""
    prose = f"""# Registry credentials leaked into the CI log

## Error: unauthorized: incorrect username or password

```console
$ aws configure
AWS Access Key ID [None]: {s["aws-configure-key-id"]}
AWS Secret Access Key [None]: {s["aws-configure-secret"]}
Default region name [None]: eu-west-1
Default output format [None]: json
$ docker login -u ci-bot -p {s["docker-login-p"]} registry.shop.internal
$ artifact-cli login --user deploy -p {s["cli-p-password"]} --url https://artifacts.shop.internal
```

The job printed the key {s["prose-key-id"]} with secret {s["prose-secret-after-key-id"]} in the build log,
and the ticket quoted the Twilio auth token {s["twilio-auth-token-prose"]} and the SendGrid key {s["sendgrid-prose"]}.
The admin pw is {s["pw-prose"]} (rotated since). 数据库访问密钥是 {s["zh-prose-key"]}，已轮换。

The worker connected with `postgresql://app:{s["url-encoded-password"]}@db.internal:5432/app?sslmode=require` from pod worker-7.

```bash
SMTP_PWD={s["env-pwd"]}
REGISTRY_CREDS={s["env-creds"]}
SSH_KEY_PASSPHRASE={s["env-passphrase"]}
WEBHOOK_AUTH={s["env-auth"]}
```

**Fix**: rotated all of them; `docker run -u 1000 -p 8080:80 api` and `mkdir -p /var/lib/api` were fine.
Still readable: {READABLE[20]}; {READABLE[21]}; {READABLE[22]}; {READABLE[23]}; {READABLE[24]}.
{READABLE[25]}
"""
    return {"leak.md": leak, "staging-env.md": env, "key-rotation.md": keys, "admin-login.md": output,
            "ci-registry.md": prose}


RUNBOOK = """# Rotate the admin credentials

- [ ] Connect with the new password
  ```bash
  echo "connecting as admin with DB_PASS=$DB_PASS"
  ```
- [ ] Log in to the console
  ```bash
  echo "console login $LOGIN_PW and $DEPLOY_CRED"
  ```
- [ ] Print the new settings
  ```bash
  echo "export SECRET_KEY={output}"
  ```
- [ ] Call the API with the old token
  ```bash
  echo "Authorization: Bearer {failing}" >&2; exit 3
  ```
- [ ] Done
  ```bash
  echo ok
  ```
""".format(output=SECRETS["command-output"], failing=SECRETS["failing-output"])

# Answers to `runbook run rotate --no-tui`: a note, run, run, run, fail -> learn -> mark failed -> go on, run.
RUN_INPUT = "\n".join([
    "n", f"token={SECRETS['run-note']}", "r", "y",
    "r", "y",
    "r", "y",
    "r", "y", "l", f"the old password={SECRETS['learned-cause']} was cached", f"revoked {SECRETS['learned-fix-token']}",
    "f", "y",
    "r", "y", "",
])
