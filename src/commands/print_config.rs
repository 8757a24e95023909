//! `--print-config`: a role's effective settings — its config file (TOML
//! or FastDFS `.conf`) with every flag applied and every default filled
//! in — printed as the TOML its `--config` reads back, so an operator sees
//! what a process would run with, and can turn a FastDFS `.conf` or a set
//! of flags into a TOML file.

use anyhow::Context;
use serde::Serialize;

/// Prints `settings` as TOML on standard output.
pub(super) fn print<T: Serialize>(settings: &T) -> anyhow::Result<()> {
    let text = toml::to_string_pretty(settings).context("cannot render the settings as TOML")?;
    print!("{text}");
    Ok(())
}
