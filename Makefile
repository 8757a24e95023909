# `make test` is the project's test command (README.md, .ci/run): it installs
# what the tests need, then runs every test.
CARGO ?= cargo

.PHONY: test test-rust test-compat test-faults compat-tools fuzz-build examples-build lint

# Python for the compat tests: a venv with the PyPI FastDFS clients and the
# S3 clients (aws-cli; boto3 with awscrt, which its CRC32C and CRC64NVME
# checksums need).
VENV ?= .venv
PY_PACKAGES = pytest==8.* py3fdfs==2.2.0 fastdfs-client==1.3.0 awscli==1.46.3 boto3[crt]==1.44.8 s3cmd==2.4.0

test: test-rust test-compat test-faults

test-rust:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

# Real clients against a real multi-process cluster (compat-tests/). With
# CI or FDFS_REQUIRE_ALL_CLIENTS=1 set, a missing client fails the run;
# elsewhere its tests skip and say why (-rs lists the reasons).
test-compat: $(VENV)/.installed compat-tools
	$(CARGO) build
	$(VENV)/bin/python -m pytest -q -rsx --durations=10 --ignore=compat-tests/test_faults.py compat-tests

# The fault suite (compat-tests/test_faults.py, about 9 minutes): a cluster
# under load through SIGKILLs, SIGSTOP, a full store path and a full sync;
# prints its fault report. Its own target so it can run beside the other
# compat tests (`make -j2 test-compat test-faults`): every cluster takes
# free ports and its own temp dirs. Needs root for its tmpfs store path.
test-faults: $(VENV)/.installed
	$(CARGO) build
	$(VENV)/bin/python -m pytest -q -s -rsx compat-tests/test_faults.py

# The Debian packages of the compat tests (s3fs-fuse, rclone): installed
# when missing and running as root (apt-get update only if the install
# fails on stale package lists); otherwise left to the skip/fail above.
DEB_TOOLS = s3fs rclone
compat-tools:
	@missing=; for t in $(DEB_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then \
		echo "apt-get install$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }; \
	elif [ -n "$$missing" ]; then \
		echo "not root: not installing$$missing (their tests skip, or fail in CI)"; \
	fi

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

# Builds the standalone Rust example (examples/rust-sdk, its own workspace)
# so it cannot rot; compat-tests run the Python examples.
examples-build:
	$(CARGO) build --manifest-path examples/rust-sdk/Cargo.toml

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
