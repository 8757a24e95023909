# `make test` is the project's test command (README.md, .ci/run): it installs
# what the tests need, then runs every test.
CARGO ?= cargo

.PHONY: test test-rust test-compat fuzz-build lint

# Python for the compat tests: a venv with the PyPI FastDFS clients.
VENV ?= .venv
PY_PACKAGES = pytest==8.* py3fdfs==2.2.0 fastdfs-client==1.3.0

test: test-rust test-compat

test-rust:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

# Real clients against a real multi-process cluster (compat-tests/). A
# missing tool fails the run: nothing is skipped silently.
test-compat: $(VENV)/.installed
	$(CARGO) build
	$(VENV)/bin/python -m pytest -q compat-tests

$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet $(PY_PACKAGES)
	touch $@

# Builds the fuzz targets with the stable toolchain (no sanitizer): proves
# they compile. Run them by hand with `cargo +nightly fuzz run decoders`.
fuzz-build:
	$(CARGO) build --manifest-path fuzz/Cargo.toml --bins

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
