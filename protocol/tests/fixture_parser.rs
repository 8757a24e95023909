//! Checks the fixture reader itself against every fixture file.
mod support;
