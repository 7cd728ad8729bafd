#!/usr/bin/env bash
# Entrypoint of the Custos container image (Dockerfile, Jib).
#
#   entrypoint.sh [custos arguments]   runs custos; no arguments, or only options (but --help and
#                                      --version), mean `proxy --config $CUSTOS_CONFIG [options]`
#                                      with CUSTOS_CONFIG defaulting to /etc/custos/custos.yaml
#   entrypoint.sh healthcheck [PATH]   GETs PATH (default /readyz) from the admin server at
#                                      $CUSTOS_ADMIN_HOST:$CUSTOS_ADMIN_PORT (127.0.0.1:9901) with
#                                      bash alone (no curl in the image); exit 0 on 200 only. The
#                                      admin token, when one is set, comes from the same place the
#                                      proxy reads it: $CUSTOS_ADMIN_TOKEN_FILE, else the variable
#                                      $CUSTOS_ADMIN_TOKEN_ENV names (default CUSTOS_ADMIN_TOKEN).
#   entrypoint.sh drain                Kubernetes preStop: waits $CUSTOS_PRESTOP_SECONDS (5) while
#                                      the proxy still serves, so endpoints drop the pod before
#                                      SIGTERM starts the proxy's own drain_timeout.
#
# The JVM runs as PID 1's replacement (exec), so SIGTERM reaches the proxy's graceful shutdown.
# Nothing is written outside /tmp: the image works with a read-only root filesystem.
set -euo pipefail

home="${CUSTOS_HOME:-/opt/custos}"
jar="${CUSTOS_JAR:-$home/lib/custos.jar}"

healthcheck() {
  local path="${1:-/readyz}"
  local host="${CUSTOS_ADMIN_HOST:-127.0.0.1}" port="${CUSTOS_ADMIN_PORT:-9901}"
  local wait="${CUSTOS_HEALTHCHECK_TIMEOUT:-3}" token="" auth="" var
  if [[ -n "${CUSTOS_ADMIN_TOKEN_FILE:-}" ]]; then
    token="$(<"$CUSTOS_ADMIN_TOKEN_FILE")" || { echo "healthcheck: cannot read CUSTOS_ADMIN_TOKEN_FILE" >&2; return 1; }
  else
    var="${CUSTOS_ADMIN_TOKEN_ENV:-CUSTOS_ADMIN_TOKEN}"
    [[ "$var" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "healthcheck: CUSTOS_ADMIN_TOKEN_ENV: $var (expected: a variable name)" >&2; return 1; }
    token="${!var:-}"
  fi
  [[ -n "$token" ]] && auth="Authorization: Bearer $token"$'\r\n'
  if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
    echo "healthcheck: cannot connect to $host:$port (CUSTOS_ADMIN_HOST, CUSTOS_ADMIN_PORT)" >&2
    return 1
  fi
  printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: custos-healthcheck\r\n%sConnection: close\r\n\r\n' \
    "$path" "$host" "$port" "$auth" >&3
  local proto="" code="" reason=""
  if ! IFS=' ' read -r -t "$wait" proto code reason <&3; then
    exec 3<&-
    echo "healthcheck: no answer from $host:$port$path within ${wait}s" >&2
    return 1
  fi
  exec 3<&-
  if [[ "$code" != 200 ]]; then
    echo "healthcheck: $host:$port$path answered ${code:-nothing} ${reason%$'\r'} (expected: 200)" >&2
    return 1
  fi
}

case "${1:-}" in
  healthcheck)
    shift
    healthcheck "$@"
    exit
    ;;
  drain)
    sleep "${CUSTOS_PRESTOP_SECONDS:-5}"
    exit 0
    ;;
  -h | --help | -V | --version)
    ;;
  "" | -*)
    set -- proxy --config "${CUSTOS_CONFIG:-/etc/custos/custos.yaml}" "$@"
    ;;
esac

if [[ ! -f "$jar" ]]; then
  echo "custos: $jar not found (CUSTOS_JAR, CUSTOS_HOME)" >&2
  exit 2
fi
jvm_opts=()
# The class-data archive written when the image was built; a JVM that cannot use it runs without.
archive="${CUSTOS_CLASS_ARCHIVE_FILE:-$home/lib/custos.jsa}"
if [[ -f "$archive" ]]; then
  jvm_opts+=(-XX:SharedArchiveFile="$archive" -Xlog:cds=off,cds+dynamic=off)
fi
# shellcheck disable=SC2086 # CUSTOS_JAVA_OPTS is a list of JVM options, split on purpose.
exec java "${jvm_opts[@]}" ${CUSTOS_JAVA_OPTS:-} -jar "$jar" "$@"
