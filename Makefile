# The project's two entry points (see README.md):
#   make run   — run the main job
#   make test  — install what the tests need, then run every test
CARGO ?= cargo

.PHONY: run test test-rust fuzz-build lint

run:
	$(CARGO) run --release -- server

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
