# `make test` is the project's test command (README.md, .ci/run): it installs
# what the tests need, then runs every test.
CARGO ?= cargo

.PHONY: test test-rust test-compat fuzz-build lint

# Python for the compat tests: a venv with the PyPI FastDFS clients and the
# S3 clients (aws-cli; boto3 with awscrt, which its CRC32C and CRC64NVME
# checksums need).
VENV ?= .venv
PY_PACKAGES = pytest==8.* py3fdfs==2.2.0 fastdfs-client==1.3.0 awscli==1.46.3 boto3[crt]==1.44.8

test: test-rust test-compat

test-rust:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

# Real clients against a real multi-process cluster (compat-tests/). A
# missing tool fails the run: nothing is skipped silently.
test-compat: $(VENV)/.installed
	$(CARGO) build
	$(VENV)/bin/python -m pytest -q compat-tests

# Redone when the Makefile (the package list) changes; pip only installs
# what is missing, so a cached venv takes seconds.
$(VENV)/.installed: Makefile
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(foreach p,$(PY_PACKAGES),'$(p)')
	touch $@

# Builds the fuzz targets with the stable toolchain (no sanitizer): proves
# they compile. Run them by hand with `cargo +nightly fuzz run decoders`.
fuzz-build:
	$(CARGO) build --manifest-path fuzz/Cargo.toml --bins

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
