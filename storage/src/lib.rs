//! The fdfs storage server: store paths, file operations, binlog and replication.
//!
//! Not built yet (see the project's issues); the crate exists so the workspace
//! layout and dependency direction (`protocol` ← `storage`) are fixed from day one.
