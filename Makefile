# Vigil: `make demo` runs the job on an embedded default; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := models/.venv
PY := $(VENV)/bin/python
MVN := mvn -B -q
DEMO_SECONDS ?= 120
DATASETS ?= ../shared/datasets
# Flink and ONNX Runtime on Java 17 (the list Flink's own config.yaml passes to its JVMs).
JAVA_OPENS := --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED \
  --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
  --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED \
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED \
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED

.PHONY: help job-help venv build deploy-lib test test-python test-java test-evaluate evaluate demo models bench clean

help:
	@echo "make demo      run the job on a local Flink (Web UI :8081) with an embedded Kafka broker and live generated events"
	@echo "               (DEMO_SECONDS=$(DEMO_SECONDS); Ctrl-C stops it early)"
	@echo "make test      run every test (Python and Java), installing what they need"
	@echo "make build     build the job jar: job/target/vigil-job-*-flink.jar"
	@echo "make deploy-lib  ONNX Runtime for a Flink cluster's lib/ (deploy/lib/onnxruntime.jar; docker-compose.yml)"
	@echo "make models    regenerate training data and retrain the committed models (models/README.md)"
	@echo "make job-help  the job's parameters, with defaults and descriptions"
	@echo "make evaluate DATA=<csv> MODEL=<dir> OUT=<dir> [ARGS=...] [PEER=rcf] [NAB_WINDOWS=<json>]"
	@echo "              replay a labelled CSV through the job and measure its detections (metrics.json, report.md, plots)"
	@echo "make train DATA=<csv> OUT=<dir> [KIND=dense|lstm|conv|vae] [WINDOW=16]   train a model on a labelled CSV"
	@echo "make eval      KDD Cup 99 and SKAB through the job, with Random Cut Forest beside it (docs/results/)"
	@echo "make eval-methods  each threshold method on the KDD Cup 99 and SKAB models of make eval"
	@echo "make eval-nab  the NAB corpus score over its 58 series (pot thresholds), with Random Cut Forest beside it (~8 min on 2 cores)"
	@echo "make eval-nab-methods  the other threshold methods over the NAB corpus, on eval-nab's models (~4 min each on 2 cores)"
	@echo "make eval-nab-tuned  eval-nab's scores, job and Random Cut Forest, at thresholds tuned on NAB's labels as NAB publishes them"
	@echo "make eval-nab-retrain  the NAB corpus with each series' model retrained every probationary period (~55 min on 2 cores; NAB_RETRAIN_TAIL=before: each one's threshold tail fitted on points it was not trained on)"
	@echo "make eval-skab SKAB's own protocol (a model per experiment, its control limit), with Random Cut Forest (~40 min on 2 cores)"
	@echo "make eval-all  all of the above, every report under docs/results/, one target after the other"
	@echo "make cluster-up | submit [ARGS=...] | generate | stop-job JOB=<id> | resume SAVEPOINT=<path> | cluster-down"
	@echo "              a real Kafka broker and Flink cluster on this machine, without Docker (docs/deploy.md);"
	@echo "              cluster-up KAFKA_SASL=on: a broker that takes SASL only, which submit and generate log in to"
	@echo "make bench     benchmarks: ONNX scoring by batch size, the job's throughput and event-to-alert latency"

venv: $(VENV)/.installed
$(VENV)/.installed: models/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r models/requirements.txt
	touch $@

build:
	$(MVN) -DskipTests package

# ONNX Runtime and the job's Kafka clients for a cluster's lib/ (docker-compose.yml mounts them; both load
# parent-first, deploy/flink/config.yaml says why); the GPU build of ONNX Runtime also runs on CPU.
deploy-lib:
	$(MVN) dependency:copy -Dartifact=com.microsoft.onnxruntime:onnxruntime_gpu:1.29.0 \
	  -DoutputDirectory=$(CURDIR)/deploy/lib -Dmdep.stripVersion=true
	mv deploy/lib/onnxruntime_gpu.jar deploy/lib/onnxruntime.jar
	$(MVN) dependency:copy -Dartifact=org.apache.kafka:kafka-clients:4.2.0 \
	  -DoutputDirectory=$(CURDIR)/deploy/lib -Dmdep.stripVersion=true

test: test-python test-java test-evaluate

test-python: venv
	cd models && .venv/bin/python -m pytest -q tests

test-java:
	$(MVN) verify

# The replay through the job's topology that evaluations run (needs the Java build).
JAVA_RUN = java -Xmx2g $(JAVA_OPENS) -cp $(CURDIR)/job/target/classes:$$(cat $(CURDIR)/target/demo.classpath)

test-evaluate: venv target/demo.classpath
	cd models && VIGIL_JAVA="$(JAVA_RUN)" .venv/bin/python -m pytest -q tests/test_evaluate.py tests/test_skab_protocol.py tests/test_nab_retrain.py

# make evaluate DATA=<csv> MODEL=<dir> OUT=<dir> [ARGS="<job parameters>"] [PEER=rcf] [NAB_WINDOWS=<json>]
evaluate: venv target/demo.classpath
	@if [ -z "$(DATA)" ] || [ -z "$(MODEL)" ] || [ -z "$(OUT)" ]; then \
	  echo "usage: make evaluate DATA=<csv> MODEL=<dir> OUT=<dir> [ARGS=\"<job parameters>\"] [PEER=rcf] [NAB_WINDOWS=<json>]" >&2; \
	  exit 2; fi
	cd models && .venv/bin/python -m vigil_models.evaluate --data $(abspath $(DATA)) --model $(abspath $(MODEL)) \
	  --out $(abspath $(OUT)) --java "$(JAVA_RUN)" $(if $(NAB_WINDOWS),--nab-windows $(abspath $(NAB_WINDOWS))) $(if $(PEER),--peer $(PEER)) -- $(ARGS)

# The demo module's class path: the job plus what a cluster would provide, and the embedded broker.
target/demo.classpath: $(shell find job/src/main deploy/demo/src -type f) pom.xml job/pom.xml deploy/demo/pom.xml
	mkdir -p target
	$(MVN) -DskipTests package dependency:build-classpath -Dmdep.outputFile=$(CURDIR)/target/demo.classpath -pl deploy/demo -am

# The demo's logging (alerts on the console, the rest in build/demo/demo.log), named because the job's
# test jar on the classpath (for the embedded broker) brings a log4j2-test.properties that log4j prefers.
demo: target/demo.classpath
	java -Xmx2g $(JAVA_OPENS) -Dlog4j2.configurationFile=log4j2.properties \
	  -cp deploy/demo/target/classes:job/target/classes:$$(cat target/demo.classpath) \
	  io.vigil.demo.Demo --seconds $(DEMO_SECONDS)

# Training data comes from the project's generator (normal behaviour only), then PyTorch trains and exports.
GENERATE := java -cp job/target/classes:$$(cat target/demo.classpath) io.vigil.generator.Generator --anomaly-rate 0 --malformed-rate 0
models: venv target/demo.classpath
	rm -rf build/training && mkdir -p build/training
	$(GENERATE) --stream sensors --keys 64 --events 200000 --seed 7 --out build/training
	$(GENERATE) --stream transactions --keys 1000 --events 150000 --seed 8 --out build/training
	cd models && PATH=$(CURDIR)/$(VENV)/bin:$$PATH ./reproduce.sh $(CURDIR)/build/training

job-help: target/demo.classpath
	java -cp job/target/classes:$$(cat target/demo.classpath) io.vigil.DetectionJob --help

bench: target/demo.classpath
	$(MVN) -DskipTests test-compile -pl job
	java -Xmx2g $(JAVA_OPENS) -cp job/target/test-classes:job/target/classes:$$(cat target/demo.classpath) io.vigil.bench.ScoringBenchmark
	cd job && java -Xmx4g $(JAVA_OPENS) -cp target/test-classes:target/classes:$$(cat ../target/demo.classpath) io.vigil.bench.JobBenchmark

clean:
	$(MVN) clean
	rm -rf build target

# --- Training on a labelled CSV (models/README.md, "Training on a labelled CSV") ---------------------
# make train DATA=<csv> OUT=<dir> [KIND=dense|lstm|conv|vae] [WINDOW=16] [STRIDE=1] [EPOCHS=60] [SEED=7]
#            [TRAIN_ARGS="--features a,b --bottleneck 8 ..."]   (all options: python -m vigil_models.train_csv --help)
KIND ?= dense
WINDOW ?= 16
STRIDE ?= 1
EPOCHS ?= 60
SEED ?= 7
TRAIN_ARGS ?=
.PHONY: train
train: venv
	@if [ -z "$(DATA)" ] || [ -z "$(OUT)" ]; then \
	  echo "usage: make train DATA=<csv> OUT=<dir> [KIND=dense|lstm|conv|vae] [WINDOW=16] [STRIDE=1] [EPOCHS=60] [SEED=7] [TRAIN_ARGS=...]" >&2; \
	  exit 2; fi
	PYTHONPATH=$(CURDIR)/models $(PY) -m vigil_models.train_csv --data "$(DATA)" --out "$(OUT)" --kind $(KIND) \
	  --window $(WINDOW) --stride $(STRIDE) --epochs $(EPOCHS) --seed $(SEED) $(TRAIN_ARGS)

# --- Published datasets: make eval regenerates docs/results/ (docs/evaluation.md) ----------------------
# The data is read from $(DATASETS) (default ../shared/datasets); see docs/evaluation.md for its sources.
EVAL_WORK := build/eval
# Series or experiments at a time in eval-nab, eval-nab-methods and eval-skab (default: the cores, at most 4).
EVAL_JOBS ?=
EVAL_JOBS_ARG = $(if $(EVAL_JOBS),--jobs $(EVAL_JOBS))
KDD99_ARGS ?=
SKAB_ARGS ?=
.PHONY: eval
eval: venv target/demo.classpath
	cd models && .venv/bin/python -m vigil_models.datasets kdd99 --datasets $(abspath $(DATASETS)) --out $(CURDIR)/$(EVAL_WORK)/kdd99
	$(MAKE) --no-print-directory train DATA=$(EVAL_WORK)/kdd99/train.csv OUT=$(EVAL_WORK)/kdd99/model KIND=dense WINDOW=1 \
	  TRAIN_ARGS="--name kdd99-dense --stream kdd99"
	$(MAKE) --no-print-directory evaluate DATA=$(EVAL_WORK)/kdd99/test.csv MODEL=$(EVAL_WORK)/kdd99/model \
	  OUT=docs/results/kdd99 PEER=rcf ARGS="$(KDD99_ARGS)"
	$(MAKE) --no-print-directory evaluate DATA=$(EVAL_WORK)/kdd99/test.csv MODEL=$(EVAL_WORK)/kdd99/model \
	  OUT=docs/results/kdd99-static ARGS="--threshold.method static --threshold.static-quantile 0.999"
	cd models && .venv/bin/python -m vigil_models.datasets skab --datasets $(abspath $(DATASETS)) --out $(CURDIR)/$(EVAL_WORK)/skab
	$(MAKE) --no-print-directory train DATA=$(EVAL_WORK)/skab/train.csv OUT=$(EVAL_WORK)/skab/model KIND=conv WINDOW=16 \
	  TRAIN_ARGS="--name skab-conv --stream skab"
	$(MAKE) --no-print-directory evaluate DATA=$(EVAL_WORK)/skab/test.csv MODEL=$(EVAL_WORK)/skab/model \
	  OUT=docs/results/skab PEER=rcf ARGS="$(SKAB_ARGS)"

# Every report under docs/results/, in order (the methods reuse the models before them).
.PHONY: eval-all
eval-all: eval eval-skab eval-nab eval-nab-tuned eval-nab-retrain eval-methods eval-nab-methods
	$(MAKE) --no-print-directory eval-nab-retrain NAB_RETRAIN_TAIL=before

# ---------------------------------------------------------------------------------------------------
# A real Kafka broker and Flink session cluster on this machine, without Docker (deploy/local/,
# docs/deploy.md): jars from Maven Central, logs and pid files under build/local.
#   make cluster-up [KAFKA_SASL=on]       broker, JobManager, a TaskManager, the default topics; with KAFKA_SASL=on
#                                         the broker takes SASL_PLAINTEXT only (PLAIN, SCRAM-SHA-256: kafka.sh)
#   make submit [ARGS="<job parameters>"] submit the job jar over REST (both built-in streams by default)
#   make jobs | cancel JOB=<id> | stop-job JOB=<id> | resume SAVEPOINT=<path> [ARGS=...]
#   make generate [GEN_ARGS=...]          live generated events with anomalies into the local broker
#                                         (the injected anomalies' labels: build/generated/labels.jsonl)
#   make cluster-down
# Ports and sizes: KAFKA_PORT, FLINK_REST_PORT, FLINK_TM_MEMORY, ... (deploy/local/common.sh).
# Against a broker in SASL mode, submit, resume and generate pass the client settings it wrote.
.PHONY: cluster-up cluster-down cluster-status submit jobs cancel stop-job resume generate e2e-tools test-e2e test-compose

LOCAL := deploy/local
JOB_JAR := job/target/vigil-job-0.1.0-SNAPSHOT-flink.jar
TOPICS ?= sensors transactions alerts:1 dead-letters:1 scores:1
BOOTSTRAP = $${KAFKA_HOST:-127.0.0.1}:$${KAFKA_PORT:-9092}
# The client settings of a broker started with KAFKA_SASL=on (no secret in them: a ${file:...} reference);
# empty for a broker without SASL.
KAFKA_CLIENT_CONFIG = $(shell $(LOCAL)/kafka.sh client-config 2>/dev/null)
# What `make submit` and `make resume` pass when ARGS is not given.
SUBMIT_ARGS = --streams sensors,transactions \
  --stream.sensors.model '$(CURDIR)/models/sensor' --stream.sensors.topics sensors \
  --stream.transactions.model '$(CURDIR)/models/transaction' --stream.transactions.topics transactions \
  --kafka.bootstrap-servers $(BOOTSTRAP) --scores.topic scores \
  $(if $(KAFKA_CLIENT_CONFIG),--kafka.properties-file $(KAFKA_CLIENT_CONFIG))

$(JOB_JAR): $(shell find job/src/main -type f) job/pom.xml pom.xml
	$(MVN) -DskipTests package -pl job -am

# kcat and jq from Debian's packages, where missing (the scripts and the end-to-end test use them).
e2e-tools:
	@missing=""; for t in kcat jq curl; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (apt-get)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

cluster-up: e2e-tools
	$(LOCAL)/kafka.sh start
	$(LOCAL)/flink.sh start
	$(LOCAL)/kafka.sh create-topics $(TOPICS)

cluster-down:
	$(LOCAL)/flink.sh stop
	$(LOCAL)/kafka.sh stop

cluster-status:
	-$(LOCAL)/kafka.sh status
	-$(LOCAL)/flink.sh status

submit: $(JOB_JAR)
	$(LOCAL)/job.sh submit -- $(or $(ARGS),$(SUBMIT_ARGS))

jobs:
	$(LOCAL)/job.sh list

cancel:
	$(LOCAL)/job.sh cancel $(JOB)

stop-job:
	$(LOCAL)/job.sh stop $(JOB) $(SAVEPOINT_DIR)

resume: $(JOB_JAR)
	@if [ -z "$(SAVEPOINT)" ]; then \
	  echo "usage: make resume SAVEPOINT=<path printed by make stop-job> [ARGS=\"<job parameters>\"]" >&2; exit 2; fi
	$(LOCAL)/job.sh resume '$(SAVEPOINT)' -- $(or $(ARGS),$(SUBMIT_ARGS))

# The job jar leaves logging to the cluster: the generator runs on the cluster's class path.
GEN_ARGS ?= --keys 50 --anomaly-rate 0.002 --malformed-rate 0.005
generate: $(JOB_JAR)
	mkdir -p build/generated
	java -cp $(JOB_JAR):$$($(LOCAL)/flink.sh classpath) io.vigil.generator.Generator --realtime \
	  --bootstrap-servers $(BOOTSTRAP) $(if $(KAFKA_CLIENT_CONFIG),--properties-file $(KAFKA_CLIENT_CONFIG)) \
	  --out build/generated $(GEN_ARGS)

# Real broker, real cluster, the built jar, TaskManager kill, savepoint, broker restart and a SASL broker
# (4-5 min on 2 cores); on its own ports (E2E_PORT_BASE, default 29000), so a cluster on the defaults may run.
test-e2e: $(JOB_JAR) e2e-tools
	timeout 600 $(LOCAL)/e2e/e2e-test.sh

# docker-compose.yml is valid (no Docker engine needed): Debian's docker-compose, installed where missing.
test-compose:
	@command -v docker-compose >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq docker-compose >/dev/null; }
	deploy/compose/test-compose.sh

# Appended prerequisites: `make test` also runs these.
test: test-compose test-e2e

# NAB's 58 series, each with its own model, and the corpus score (docs/results/nab; ~8 min on 2 cores).
# NAB rewards one early detection per anomaly window and charges every other one: incidents are merged
# over an hour and write one alert each (no updates), as for a pager. The threshold is pot, the best of
# the four methods on NAB (make eval-nab-methods; docs/evaluation.md).
NAB_ARGS ?= --alert.merge-gap "1 h" --alert.updates false
NAB_THRESHOLD ?= --threshold.method pot
.PHONY: eval-nab
eval-nab: venv target/demo.classpath
	cd models && .venv/bin/python -m vigil_models.nab_corpus --datasets $(abspath $(DATASETS)) \
	  --out $(CURDIR)/docs/results/nab --work $(CURDIR)/build/nab --java "$(JAVA_RUN)" $(EVAL_JOBS_ARG) -- $(NAB_ARGS) $(NAB_THRESHOLD)

# The scores of `make eval-nab`'s replays, the job's and Random Cut Forest's, at the one threshold per profile that
# NAB's labels favour, as NAB publishes every detector's score (docs/results/nab-tuned; for comparison only).
.PHONY: eval-nab-tuned
eval-nab-tuned: venv
	cd models && .venv/bin/python -m vigil_models.nab_tuned --datasets $(abspath $(DATASETS)) \
	  --out $(CURDIR)/docs/results/nab-tuned --work $(CURDIR)/build/nab --run nab

# The NAB corpus with models that keep learning (docs/results/nab-retrain; ~55 min on 2 cores, 551 models):
# each series' model retrained every probationary period on the points before, eval-nab's first; then its scores
# at thresholds tuned on the labels (nab-retrain/tuned), as eval-nab-tuned does for eval-nab's.
# NAB_RETRAIN_TAIL=before fits each retrained model's pot tail on the stretch before its training stretch
# instead of on it (docs/results/nab-retrain-before; with the models of an earlier run, ~35 min of replays).
NAB_RETRAIN_TAIL ?= training
NAB_RETRAIN_RUN = nab-retrain$(if $(filter before,$(NAB_RETRAIN_TAIL)),-before)
.PHONY: eval-nab-retrain
eval-nab-retrain: venv target/demo.classpath
	cd models && .venv/bin/python -m vigil_models.nab_retrain --datasets $(abspath $(DATASETS)) --reuse-models \
	  --tail $(NAB_RETRAIN_TAIL) --out $(CURDIR)/docs/results/$(NAB_RETRAIN_RUN) --work $(CURDIR)/build/nab \
	  --java "$(JAVA_RUN)" $(EVAL_JOBS_ARG) -- $(NAB_ARGS) $(NAB_THRESHOLD)
	cd models && .venv/bin/python -m vigil_models.nab_tuned --datasets $(abspath $(DATASETS)) --no-peer \
	  --out $(CURDIR)/docs/results/$(NAB_RETRAIN_RUN)/tuned --work $(CURDIR)/build/nab --run $(NAB_RETRAIN_RUN)

# The other threshold methods over the NAB corpus, on the models of `make eval-nab` (docs/results/methods/nab-*).
# dspot: pot with a drift window of one day of NAB's 5-minute points.
NAB_METHODS ?= sigma quantile static dspot
.PHONY: eval-nab-methods
eval-nab-methods: venv target/demo.classpath
	for method in $(NAB_METHODS); do \
	  case $$method in \
	    static) threshold="--threshold.method static --threshold.static-quantile 0.999" ;; \
	    dspot) threshold="--threshold.method pot --threshold.pot-drift-window 288" ;; \
	    *) threshold="--threshold.method $$method" ;; \
	  esac; \
	  (cd models && .venv/bin/python -m vigil_models.nab_corpus --datasets $(abspath $(DATASETS)) --reuse-models --no-peer \
	    --out $(CURDIR)/docs/results/methods/nab-$$method --work $(CURDIR)/build/nab --java "$(JAVA_RUN)" \
	    $(EVAL_JOBS_ARG) -- $(NAB_ARGS) $$threshold) || exit 1; \
	done

# SKAB as its own notebooks run it (docs/results/skab-protocol; ~40 min on 2 cores): per experiment a conv model
# trained on its first 400 rows, the experiment replayed through the job with a static threshold at SKAB's
# control limit (calibration 0.999 quantile x (4/3)^2), Random Cut Forest beside it, counts pooled as SKAB pools them.
SKAB_PROTOCOL_ARGS ?=
.PHONY: eval-skab
eval-skab: venv target/demo.classpath
	cd models && .venv/bin/python -m vigil_models.skab_protocol --datasets $(abspath $(DATASETS)) \
	  --out $(CURDIR)/docs/results/skab-protocol --work $(CURDIR)/build/skab-protocol --java "$(JAVA_RUN)" $(EVAL_JOBS_ARG) \
	  -- $(SKAB_PROTOCOL_ARGS)

# Each threshold method on the KDD Cup 99 and SKAB models of `make eval` (docs/results/methods/).
METHODS ?= sigma quantile pot static
.PHONY: eval-methods
eval-methods: venv target/demo.classpath
	for method in $(METHODS); do \
	  extra=$$( [ $$method = static ] && echo "--threshold.static-quantile 0.999" ); \
	  for dataset in kdd99 skab; do \
	    $(MAKE) --no-print-directory evaluate DATA=$(EVAL_WORK)/$$dataset/test.csv MODEL=$(EVAL_WORK)/$$dataset/model \
	      OUT=docs/results/methods/$$dataset-$$method ARGS="--threshold.method $$method $$extra" || exit 1; \
	  done; \
	done
