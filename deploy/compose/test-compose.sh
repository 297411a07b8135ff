#!/usr/bin/env bash
# docker-compose.yml is a valid Compose file whose services, mounted files, Prometheus scrape
# configuration and Grafana provisioning fit together, and the job image's build context (.dockerignore)
# holds what its Dockerfile copies. Needs docker-compose (Debian's package), not a
# Docker engine: `docker-compose config` resolves and validates the file without one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if ! command -v docker-compose >/dev/null; then
  echo "SKIPPED: docker-compose is not installed (make test-compose installs it with apt-get)" >&2
  exit 0
fi

resolved="$(mktemp)"
trap 'rm -f "$resolved"' EXIT
docker-compose -f docker-compose.yml config >"$resolved"
echo "ok: docker-compose config accepts docker-compose.yml" >&2

# Debian's docker-compose runs on the system Python, which has PyYAML; another python3 may not.
PY=python3
python3 -c 'import yaml' 2>/dev/null || PY="$(sed -n '1s/^#! *//p' "$(command -v docker-compose)" | awk '{print $1}')"
"$PY" - "$resolved" <<'EOF'
import json, os, sys, yaml

config = yaml.safe_load(open(sys.argv[1]))
services = config["services"]
problems = []

expected = {"kafka", "jobmanager", "taskmanager", "vigil-submit", "generator", "prometheus", "grafana"}
missing = expected - services.keys()
if missing:
    problems.append(f"services missing: {sorted(missing)}")

# Files of the project that containers mount must exist (build outputs - the job jar and
# deploy/lib/onnxruntime.jar from `make build deploy-lib` - are made before `up`).
build_outputs = ("job/target/", "deploy/lib/")
root = os.getcwd()
for name, service in services.items():
    for volume in service.get("volumes", []):
        source = volume.get("source") if isinstance(volume, dict) else volume.split(":")[0]
        kind = volume.get("type") if isinstance(volume, dict) else "bind"
        if kind != "bind" or not source or source in (config.get("volumes") or {}):
            continue  # a named volume
        relative = os.path.relpath(source, root)
        if relative.startswith(build_outputs):
            continue
        if not os.path.exists(source):
            problems.append(f"{name}: mounts {relative}, which does not exist")

# Flink containers run the project's config.yaml, which enables the Prometheus reporter on 9249.
flink_config = yaml.safe_load(open("deploy/flink/config.yaml"))
reporter = flink_config.get("metrics", {}).get("reporter", {}).get("prom", {})
if reporter.get("factory", {}).get("class") != "org.apache.flink.metrics.prometheus.PrometheusReporterFactory":
    problems.append("deploy/flink/config.yaml does not enable the Prometheus reporter")
port = str(reporter.get("port"))
for name in ("jobmanager", "taskmanager"):
    mounts = [v.get("target") if isinstance(v, dict) else v.split(":")[1] for v in services[name].get("volumes", [])]
    if "/opt/vigil/config.yaml" not in mounts or "/opt/flink/lib/onnxruntime.jar" not in mounts:
        problems.append(f"{name}: does not mount the project's config.yaml and ONNX Runtime")

# Prometheus scrapes the Flink services on the reporter's port.
prometheus = yaml.safe_load(open("deploy/compose/prometheus/prometheus.yml"))
targets = [(n, str(sd.get("port"))) for job in prometheus["scrape_configs"] for sd in job.get("dns_sd_configs", [])
           for n in sd.get("names", [])]
for name in ("jobmanager", "taskmanager"):
    if (name, port) not in targets:
        problems.append(f"Prometheus does not scrape {name}:{port}")

# Grafana: the provisioned data source is the one the dashboard's panels use, and every panel queries.
datasource = yaml.safe_load(open("deploy/compose/grafana/provisioning/datasources/prometheus.yml"))["datasources"][0]
dashboard = json.load(open("deploy/compose/grafana/dashboards/vigil.json"))
for panel in dashboard["panels"]:
    if panel["datasource"]["uid"] != datasource["uid"]:
        problems.append(f"panel '{panel['title']}' uses data source {panel['datasource']['uid']}")
    if not panel.get("targets") or not all(t.get("expr") for t in panel["targets"]):
        problems.append(f"panel '{panel['title']}' has no query")

# The job image's build context is what .dockerignore lets through: exactly the files that
# deploy/k8s/Dockerfile copies (one more would be sent for nothing, one less fails the build).
ignore = [line.strip() for line in open(".dockerignore") if line.strip() and not line.startswith("#")]
kept = {line[1:] for line in ignore if line.startswith("!")}
copied = {word for line in open("deploy/k8s/Dockerfile") if line.startswith("COPY ")
          for word in line.split()[1:-1] if not word.startswith("--")}
if ignore[:1] != ["*"]:
    problems.append(".dockerignore does not leave out everything first ('*')")
if copied != kept:
    problems.append(f"deploy/k8s/Dockerfile copies {sorted(copied - kept)} that .dockerignore leaves out, "
                    f".dockerignore lets through {sorted(kept - copied)} that it does not copy")

if problems:
    print("FAIL: " + "; ".join(problems))
    sys.exit(1)
print(f"ok: {len(services)} services; mounted files exist; Prometheus scrapes the Flink reporter on {port}; "
      f"{len(dashboard['panels'])} dashboard panels on the provisioned data source; the image's build context "
      f"is the {len(copied)} files its Dockerfile copies")
EOF
