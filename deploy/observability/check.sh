#!/usr/bin/env bash
# Checks deploy/observability: the alerting rules with `promtool check rules` and their unit
# tests with `promtool test rules`, and every PromQL expression of the Grafana dashboard by
# checking it as a recording rule (Grafana's variables replaced by plain values). promtool comes
# from Debian's prometheus package, installed here when it is missing (CI runs as root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"

if ! command -v promtool >/dev/null 2>&1; then
  if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "deploy/observability/check.sh: promtool not found (install Debian's prometheus package)" >&2
    exit 1
  fi
  echo "   installing promtool (Debian package prometheus)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # The package would start a Prometheus server: forbid service starts while installing.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  status=0
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null || status=$?
  rm -f /usr/sbin/policy-rc.d
  [[ "$status" -eq 0 ]] || { echo "deploy/observability/check.sh: apt-get install prometheus failed" >&2; exit 1; }
fi

promtool check rules "$here/alerts.yaml"
(cd "$here" && promtool test rules alerts-test.yaml)

work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT
python3 - "$here/grafana-dashboard.json" >"$work/dashboard-rules.yaml" <<'PY'
import json, sys
dashboard = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
for v in dashboard["templating"]["list"]:
    q = v.get("query")
    if isinstance(q, dict) and q["query"].startswith("label_values("):
        inner = q["query"][len("label_values("):-1].rsplit(",", 1)[0]
        exprs.append(inner)
assert len(exprs) >= 16, "too few expressions in the dashboard: %d" % len(exprs)
print("groups:\n  - name: dashboard\n    rules:")
for i, e in enumerate(exprs):
    e = (e.replace("$__rate_interval", "5m").replace("$instance", ".*").replace("$job", ".*"))
    print("      - record: dashboard:expr_%d" % i)
    print("        expr: %s" % json.dumps(e))
PY
promtool check rules "$work/dashboard-rules.yaml" >/dev/null
echo "deploy/observability: alert rules, their tests and $(grep -c 'record:' "$work/dashboard-rules.yaml") dashboard expressions ok"
