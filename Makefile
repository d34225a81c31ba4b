# Two commands matter: `make run` and `make test`. Both build .venv themselves.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Two stamps: the server needs only the runtime dependencies (`make run`); the
# tests, linters and benchmarks add the `dev` extra on top.
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
HOST ?= 127.0.0.1
PYTEST_ARGS ?= -n auto --dist worksteal
PORT ?= 8000

.PHONY: run test lint bench surge venv clean messages

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(DEV_STAMP)

venv: $(DEV_STAMP)

run: $(STAMP)
	$(PY) -m healthcode db upgrade
	$(PY) -m healthcode demo --if-empty
	$(PY) -m healthcode serve --host $(HOST) --port $(PORT)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: $(DEV_STAMP) lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(PY) -m bench

# The surge test (docs/surge.md): ~3 minutes against `healthcode serve --workers 2`;
# not part of `make test` or `make bench`. SURGE_ARGS="--db sqlite" for SQLite.
surge: $(DEV_STAMP)
	$(PY) -m bench.surge $(SURGE_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

messages: $(STAMP)
	$(PY) -m healthcode.messages

# Browser libraries from npm (package.json, pinned by package-lock.json), copied into
# the package and committed, so pages and /docs never touch a CDN. Only maintainers
# who bump a version run this; `make run` does not need npm.
VENDOR := healthcode/web/static/vendor
.PHONY: vendor
vendor:
	npm ci --ignore-scripts --no-audit --no-fund
	# Rebuild every vendored library; VENDORED.md (hand-written) is kept.
	find $(VENDOR) -mindepth 1 -maxdepth 1 ! -name VENDORED.md -exec rm -rf {} +
	mkdir -p $(VENDOR)/swagger-ui $(VENDOR)/pako $(VENDOR)/qrcode-generator
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	  node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE $(VENDOR)/swagger-ui/
	sed -i '/^\/\/# sourceMappingURL=/d' $(VENDOR)/swagger-ui/swagger-ui-bundle.js
	mkdir -p $(VENDOR)/barcode-detector $(VENDOR)/zxing-wasm  # camera scanning (static/scanner/camera.js)
	cp node_modules/barcode-detector/dist/es/ponyfill.js node_modules/barcode-detector/dist/es/zxing-exported.js \
	  node_modules/barcode-detector/LICENSE $(VENDOR)/barcode-detector/
	cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm node_modules/zxing-wasm/LICENSE $(VENDOR)/zxing-wasm/
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE tests/web/vendor/  # tests only
	sed -i 's|/\*# sourceMappingURL=[^*]*\*/||' $(VENDOR)/swagger-ui/swagger-ui.css
	cp node_modules/pako/dist/pako_deflate.min.js node_modules/pako/LICENSE $(VENDOR)/pako/
	cp node_modules/qrcode-generator/qrcode.js $(VENDOR)/qrcode-generator/
	# The offline scanner's verifier: ES modules loaded as they are (no bundler).
	mkdir -p $(VENDOR)/fflate $(VENDOR)/cborg/lib $(VENDOR)/noble/curves/abstract $(VENDOR)/noble/hashes
	cp node_modules/fflate/esm/browser.js node_modules/fflate/LICENSE $(VENDOR)/fflate/
	cp node_modules/cborg/cborg.js node_modules/cborg/LICENSE $(VENDOR)/cborg/
	cp node_modules/cborg/lib/*.js $(VENDOR)/cborg/lib/
	rm $(VENDOR)/cborg/lib/bin.js $(VENDOR)/cborg/lib/diagnostic*.js  # command-line only
	# noble: only the modules ed25519.js, nist.js (P-256) and sha2.js import.
	cd node_modules/@noble/curves && cp ed25519.js nist.js utils.js LICENSE ../../../$(VENDOR)/noble/curves/ && \
	  cd abstract && cp curve.js der.js edwards.js fft.js frost.js hash-to-curve.js modular.js montgomery.js \
	  oprf.js weierstrass.js ../../../../$(VENDOR)/noble/curves/abstract/
	cd node_modules/@noble/hashes && cp _md.js _u64.js hmac.js sha2.js utils.js LICENSE ../../../$(VENDOR)/noble/hashes/
	# Browsers resolve no bare specifiers (and the CSP forbids an inline import map).
	sed -i "s|from '@noble/hashes/|from '../hashes/|" $(VENDOR)/noble/curves/*.js
	sed -i "s|from '@noble/hashes/|from '../../hashes/|" $(VENDOR)/noble/curves/abstract/*.js
	sed -i '/^\/\/# sourceMappingURL=/d' $(VENDOR)/noble/curves/*.js $(VENDOR)/noble/curves/abstract/*.js \
	  $(VENDOR)/noble/hashes/*.js $(VENDOR)/fflate/browser.js
