#!/usr/bin/env bash
# Tests deploy/docker/entrypoint.sh by running it directly (no Docker engine needed): the java
# command line it builds (with a stand-in java that prints its arguments), its healthcheck
# against a small HTTP server on a loopback ephemeral port (status, admin token, no server),
# and, when cli/target/custos.jar exists, the real jar through it. Runs in .ci/run (about 2 s).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd "$here/../.." && pwd -P)"
entry="$here/entrypoint.sh"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null
  rm -rf -- "$work"
}
trap cleanup EXIT
failures=0
passed=0
check() { # check NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then
    passed=$((passed + 1))
  else
    failures=$((failures + 1))
    printf 'FAIL %s\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3" >&2
  fi
}

# A stand-in java that prints its arguments, one a line.
mkdir -p "$work/bin" "$work/home/lib"
printf '#!/bin/sh\nfor a in "$@"; do printf "%%s\\n" "$a"; done\n' >"$work/bin/java"
chmod +x "$work/bin/java"
touch "$work/home/lib/custos.jar"
run() { env -i PATH="$work/bin:/usr/bin:/bin" CUSTOS_HOME="$work/home" "$@"; }
lines() { tr '\n' ' ' | sed 's/ $//'; }

jar="$work/home/lib/custos.jar"
check "no arguments run the proxy on /etc/custos/custos.yaml" \
  "-jar $jar proxy --config /etc/custos/custos.yaml" "$(run "$entry" | lines)"
check "options alone are the proxy's" \
  "-jar $jar proxy --config /etc/custos/custos.yaml --check" "$(run "$entry" --check | lines)"
check "CUSTOS_CONFIG names the configuration" \
  "-jar $jar proxy --config /cfg/c.yaml" "$(run CUSTOS_CONFIG=/cfg/c.yaml "$entry" | lines)"
check "a command runs as given" \
  "-jar $jar scan /data --format jsonl" "$(run "$entry" scan /data --format jsonl | lines)"
check "CUSTOS_JAVA_OPTS is split into options before -jar" \
  "-Xmx256m -Dx=1 -jar $jar --version" "$(run CUSTOS_JAVA_OPTS='-Xmx256m -Dx=1' "$entry" --version | lines)"
touch "$work/home/lib/custos.jsa"
check "the class-data archive is used when present" \
  "-XX:SharedArchiveFile=$work/home/lib/custos.jsa -Xlog:cds=off,cds+dynamic=off -jar $jar --version" \
  "$(run "$entry" --version | lines)"
rm "$work/home/lib/custos.jsa" "$jar"
status=0
run "$entry" --version >/dev/null 2>"$work/err" || status=$?
check "a missing jar exits 2" "2" "$status"
check "a missing jar is named" "custos: $jar not found (CUSTOS_JAR, CUSTOS_HOME)" "$(cat "$work/err")"

# Healthcheck against a loopback server: /readyz 200 with the right bearer token, 401 without,
# /down 503.
cat >"$work/server.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer token-0123456789abcdef":
            code = 401
        else:
            code = 200 if self.path == "/readyz" else 503
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$work/server.py" >"$work/port" &
server_pid=$!
for _ in $(seq 1 600); do [[ -s "$work/port" ]] && break; sleep 0.05; done # up to 30 s
port="$(head -n 1 "$work/port")"
hc() { # hc ENV... -- ARGS: prints the exit status and the first stderr line
  local s=0
  env -i PATH="/usr/bin:/bin" CUSTOS_ADMIN_PORT="$port" "$@" 2>"$work/hc-err" >/dev/null || s=$?
  printf '%s %s' "$s" "$(head -n 1 "$work/hc-err")"
}
check "healthcheck: 200 with the token from CUSTOS_ADMIN_TOKEN" "0 " \
  "$(hc CUSTOS_ADMIN_TOKEN=token-0123456789abcdef "$entry" healthcheck)"
printf 'token-0123456789abcdef\n' >"$work/token"
check "healthcheck: the token from CUSTOS_ADMIN_TOKEN_FILE (final newline dropped)" "0 " \
  "$(hc CUSTOS_ADMIN_TOKEN_FILE="$work/token" "$entry" healthcheck)"
check "healthcheck: the variable CUSTOS_ADMIN_TOKEN_ENV names" "0 " \
  "$(hc CUSTOS_ADMIN_TOKEN_ENV=MY_TOKEN MY_TOKEN=token-0123456789abcdef "$entry" healthcheck)"
check "healthcheck: without the token 401 fails" \
  "1 healthcheck: 127.0.0.1:$port/readyz answered 401 Unauthorized (expected: 200)" \
  "$(hc "$entry" healthcheck)"
check "healthcheck: another path that answers 503 fails" \
  "1 healthcheck: 127.0.0.1:$port/down answered 503 Service Unavailable (expected: 200)" \
  "$(hc CUSTOS_ADMIN_TOKEN=token-0123456789abcdef "$entry" healthcheck /down)"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
check "healthcheck: no server fails and names the address" \
  "1 healthcheck: cannot connect to 127.0.0.1:$port (CUSTOS_ADMIN_HOST, CUSTOS_ADMIN_PORT)" \
  "$(hc "$entry" healthcheck)"
check "drain waits CUSTOS_PRESTOP_SECONDS and exits 0" "0 " \
  "$(hc CUSTOS_PRESTOP_SECONDS=0 "$entry" drain)"

# The Dockerfile, read statically (no Docker engine here, and Debian has no hadolint): every file
# a COPY takes from the build context exists, the image runs as a non-root user, and the
# HEALTHCHECK, ENTRYPOINT and the manifests' probes name the entrypoint where it is copied to.
dockerfile="$root/Dockerfile"
while read -r src; do
  check "Dockerfile: COPY source $src exists" "yes" "$([[ -e "$root/$src" ]] && echo yes || echo no)"
done < <(awk '/^COPY / && !/--from=/ { for (i = 2; i < NF; i++) print $i }' "$dockerfile")
user="$(awk '/^USER / { print $2 }' "$dockerfile" | tail -n 1)"
check "Dockerfile: a non-root USER" "non-root" \
  "$([[ -n "$user" && "${user%%:*}" != root && "${user%%:*}" != 0 ]] && echo non-root || echo "$user")"
copied="$(awk '/^COPY .*entrypoint.sh/ { print $NF }' "$dockerfile")"
check "Dockerfile: the entrypoint is copied to /opt/custos/bin/entrypoint.sh" \
  "/opt/custos/bin/entrypoint.sh" "$copied"
check "Dockerfile: HEALTHCHECK runs the entrypoint's healthcheck" "1" \
  "$(grep -c 'CMD \["/opt/custos/bin/entrypoint.sh", "healthcheck"\]' "$dockerfile")"
check "Dockerfile: ENTRYPOINT is the entrypoint" "1" \
  "$(grep -c '^ENTRYPOINT \["/opt/custos/bin/entrypoint.sh"\]' "$dockerfile")"
check "manifests: every probe and preStop names the entrypoint where the image has it" "" \
  "$(grep -rhoE '"/opt/custos/[^"]*"' "$root/deploy/kubernetes" "$root/deploy/helm" \
    | sort -u | grep -v '"/opt/custos/bin/entrypoint.sh"' || true)"

# The real jar through the entrypoint, when it is built.
real="$root/cli/target/custos.jar"
if [[ -f "$real" ]] && command -v java >/dev/null; then
  version="$(env -i PATH="$PATH" CUSTOS_JAR="$real" CUSTOS_HOME="$work/none" "$entry" --version)"
  check "the real jar prints its version" "custos" "${version%% *}"
fi

echo "entrypoint-test: $passed passed, $failures failed"
[[ "$failures" -eq 0 ]]
