//! The fdfs tracker: cluster state, placement policies and SQLite persistence.
//!
//! Not built yet (see the project's issues); the crate exists so the workspace
//! layout and dependency direction (`protocol` ← `tracker`) are fixed from day one.
