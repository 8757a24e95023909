# `make test` is the project's test command (README.md, .ci/run): it installs
# what the tests need, then runs every test.
CARGO ?= cargo

.PHONY: test test-rust fuzz-build lint

test: test-rust

test-rust:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

# Builds the fuzz targets with the stable toolchain (no sanitizer): proves
# they compile. Run them by hand with `cargo +nightly fuzz run decoders`.
fuzz-build:
	$(CARGO) build --manifest-path fuzz/Cargo.toml --bins

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
