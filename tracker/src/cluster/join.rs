//! STORAGE_JOIN (81) and the handshake that decides who pushes old files to
//! a new member: SYNC_DEST_REQ (87), SYNC_DEST_QUERY (79), SYNC_NOTIFY (88)
//! and SYNC_SRC_REQ (86) (`fastdfs-protocol.md` §3.3, §6).

use fdfs_protocol::Status;
use fdfs_protocol::consts::{MAX_GROUPS, MAX_SERVERS_EACH_GROUP};
use fdfs_protocol::tracker::{
    Join, JoinResponse, StorageStatus, SyncReqBody, SyncSource, validate_group_name,
    validate_storage_id,
};

use super::Cluster;
use super::model::{Group, Storage};

/// `EFAULT`: a storage that is not new claims a status the tracker cannot
/// adopt for an unknown storage.
const EFAULT: Status = Status(14);

/// Most store paths or subdirectories per path.
const MAX_PATHS: u16 = 256;

impl Cluster {
    /// Handles a JOIN from the storage `id` connecting from `ip` and
    /// returns the JOIN reply.
    ///
    /// Creates the group on its first member and the storage on its first
    /// join (INIT, or the status it reports when it is not new — ACTIVE as
    /// ONLINE — as FastDFS does after losing its data). A known storage
    /// keeps its status, except OFFLINE/RECOVERY → ONLINE and DELETED/
    /// IP_CHANGED → INIT (it rejoins as a new member). A port, store path
    /// count or subdirectory count that disagrees with the other members is
    /// refused with `EINVAL` (a larger store path count is accepted);
    /// `EEXIST` if the same id and port is a live member of another group;
    /// `ENOSPC` past 512 groups or 32 storages per group.
    pub fn join(
        &mut self,
        req: &Join,
        id: &str,
        ip: &str,
        now: i64,
    ) -> Result<JoinResponse, Status> {
        validate_group_name(&req.group).map_err(|_| Status::EINVAL)?;
        validate_storage_id(id).map_err(|_| Status::EINVAL)?;
        if ip.is_empty()
            || req.storage_port == 0
            || !(1..=MAX_PATHS).contains(&req.store_path_count)
            || !(1..=MAX_PATHS).contains(&req.subdir_count_per_path)
        {
            return Err(Status::EINVAL);
        }
        let elsewhere = self.live_elsewhere(&req.group, id, req.storage_port);
        if elsewhere {
            return Err(Status::EEXIST);
        }
        if self.group(&req.group).is_none() && self.group_count() >= MAX_GROUPS {
            return Err(Status::ENOSPC);
        }
        let mut fresh = Group::new(&req.group);
        let group = self.group(&req.group).unwrap_or(&fresh);
        let layout = check_layout(group, req, id)?;
        let known = group.storage(id).is_some();
        if !known {
            if !req.init_flag && !adoptable(req.status) {
                return Err(EFAULT);
            }
            if group.storage_count() >= MAX_SERVERS_EACH_GROUP {
                return Err(Status::ENOSPC);
            }
        }

        if self.group(&req.group).is_none() {
            fresh.chg_count = 1;
            self.insert_group(fresh)?;
        }
        let group = self.group_mut(&req.group).ok_or(Status::ENOENT)?;
        (group.storage_port, group.store_path_count, group.subdir_count) = layout;
        if !known {
            let mut s = Storage::new(&req.group, id, ip, req.storage_port);
            if !req.init_flag {
                s.status = match req.status {
                    StorageStatus::Active => StorageStatus::Online,
                    st if adoptable(st) => st,
                    _ => StorageStatus::Init,
                };
            }
            group.insert_storage(s);
            group.chg_count += 1;
        }
        let s = group.storage_mut(id).ok_or(Status::ENOENT)?;
        let before = s.status;
        s.status = match s.status {
            StorageStatus::Deleted | StorageStatus::IpChanged => StorageStatus::Init,
            StorageStatus::Offline | StorageStatus::Recovery => StorageStatus::Online,
            st => st,
        };
        s.ip = ip.to_string();
        s.port = req.storage_port;
        s.store_path_count = req.store_path_count;
        s.subdir_count = req.subdir_count_per_path;
        s.paths.resize(usize::from(req.store_path_count), Default::default());
        if s.current_write_path >= s.paths.len() {
            s.current_write_path = 0;
        }
        s.upload_priority = req.upload_priority;
        s.join_time = req.join_time;
        s.up_time = req.up_time;
        s.version.clone_from(&req.version);
        s.last_heart_beat_time = now;
        let reply =
            JoinResponse { my_status: s.status, src_id: s.sync_src_id.clone().unwrap_or_default() };
        if before != s.status {
            group.chg_count += 1;
        }
        group.fix_indexes();
        Ok(reply)
    }

    /// Handles SYNC_DEST_REQ (87) from a storage on its first start.
    ///
    /// With no other member that is OFFLINE, ONLINE or ACTIVE there is
    /// nothing to copy: the storage goes ONLINE and the reply is empty.
    /// Otherwise the first writable peer (in id order) becomes its source,
    /// `until` is `now`, the storage goes WAIT_SYNC and the reply carries
    /// both. `ENOENT` when peers exist but none is writable yet (e.g. the
    /// only peer is still ONLINE): the storage rejoins later.
    pub fn sync_dest_req(&mut self, group: &str, id: &str, now: i64) -> Result<SyncSource, Status> {
        let g = self.member(group, id)?;
        let has_peers = g.storages().any(|s| s.id != id && s.is_available());
        let src = if has_peers {
            let src = g.writable().into_iter().find(|s| s.id != id).map(|s| s.id.clone());
            Some(src.ok_or(Status::ENOENT)?)
        } else {
            None
        };
        let s = g.storage_mut(id).ok_or(Status::ENOENT)?;
        let reply = match src {
            None => {
                s.status = StorageStatus::Online;
                None
            }
            Some(src) => {
                s.status = StorageStatus::WaitSync;
                s.sync_src_id = Some(src.clone());
                s.sync_until_timestamp = now;
                Some(SyncReqBody { src_id: src, until_timestamp: now })
            }
        };
        g.chg_count += 1;
        g.fix_indexes();
        Ok(SyncSource(reply))
    }

    /// Handles SYNC_DEST_QUERY (79): the storage's source and until time,
    /// empty if it has none.
    pub fn sync_dest_query(&self, group: &str, id: &str) -> Result<SyncSource, Status> {
        let s = self.storage(group, id).ok_or(Status::ENOENT)?;
        Ok(SyncSource(s.sync_src_id.as_ref().map(|src| SyncReqBody {
            src_id: src.clone(),
            until_timestamp: s.sync_until_timestamp,
        })))
    }

    /// Handles SYNC_NOTIFY (88): the source the storage adopted. An empty
    /// source puts an INIT/WAIT_SYNC/SYNCING storage ONLINE. Otherwise an
    /// INIT storage goes WAIT_SYNC and, if it had no source yet, adopts
    /// this one (`ENOENT` if it is not a live member of the group).
    pub fn sync_notify(&mut self, group: &str, id: &str, body: &SyncReqBody) -> Result<(), Status> {
        let g = self.member(group, id)?;
        let src_ok = g.storage(&body.src_id).is_some_and(|src| {
            src.id != id && !matches!(src.status, StorageStatus::Deleted | StorageStatus::IpChanged)
        });
        let s = g.storage_mut(id).ok_or(Status::ENOENT)?;
        let before = s.status;
        if body.src_id.is_empty() {
            if matches!(
                s.status,
                StorageStatus::Init | StorageStatus::WaitSync | StorageStatus::Syncing
            ) {
                s.status = StorageStatus::Online;
            }
        } else {
            if s.status == StorageStatus::Init {
                s.status = StorageStatus::WaitSync;
            }
            if s.sync_src_id.is_none() {
                if !src_ok {
                    return Err(Status::ENOENT);
                }
                s.sync_src_id = Some(body.src_id.clone());
                s.sync_until_timestamp = body.until_timestamp;
            }
        }
        if before != s.status {
            g.chg_count += 1;
        }
        g.fix_indexes();
        Ok(())
    }

    /// Handles SYNC_SRC_REQ (86), asked by a would-be source about `dest`:
    /// dest's source and until time while that source is available (or
    /// recovering), else empty — and a source that is gone is forgotten.
    /// `ENOENT` for an unknown group or dest, or a dest that is INIT,
    /// DELETED or IP_CHANGED.
    pub fn sync_src_req(&mut self, group: &str, dest_id: &str) -> Result<SyncSource, Status> {
        let g = self.member(group, dest_id)?;
        let dest = g.storage(dest_id).ok_or(Status::ENOENT)?;
        if matches!(
            dest.status,
            StorageStatus::Init | StorageStatus::Deleted | StorageStatus::IpChanged
        ) {
            return Err(Status::ENOENT);
        }
        let Some(src_id) = dest.sync_src_id.clone() else {
            return Ok(SyncSource(None));
        };
        let until = dest.sync_until_timestamp;
        let src_alive = g
            .storage(&src_id)
            .is_some_and(|src| src.is_available() || src.status == StorageStatus::Recovery);
        if src_alive {
            return Ok(SyncSource(Some(SyncReqBody { src_id, until_timestamp: until })));
        }
        if let Some(dest) = g.storage_mut(dest_id) {
            dest.sync_src_id = None;
        }
        Ok(SyncSource(None))
    }
}

/// Statuses a storage that is not new may bring to a tracker that does not
/// know it.
fn adoptable(status: StorageStatus) -> bool {
    matches!(
        status,
        StorageStatus::WaitSync
            | StorageStatus::Syncing
            | StorageStatus::Offline
            | StorageStatus::Online
            | StorageStatus::Active
            | StorageStatus::Recovery
    )
}

/// The group's (port, store path count, subdir count) after this join, or
/// `EINVAL` when the storage disagrees with the other live members.
fn check_layout(group: &Group, req: &Join, id: &str) -> Result<(u16, u16, u16), Status> {
    let others: Vec<&Storage> =
        group.storages().filter(|s| s.id != id && s.status != StorageStatus::Deleted).collect();
    let agree = |f: &dyn Fn(&Storage) -> bool| others.iter().all(|s| f(s));
    let port = if group.storage_port == 0 || agree(&|s| s.port == req.storage_port) {
        req.storage_port
    } else if group.storage_port == req.storage_port {
        group.storage_port
    } else {
        return Err(Status::EINVAL);
    };
    let paths =
        if group.store_path_count == 0 || agree(&|s| s.store_path_count == req.store_path_count) {
            req.store_path_count
        } else if req.store_path_count >= group.store_path_count {
            group.store_path_count
        } else {
            return Err(Status::EINVAL);
        };
    let subdirs =
        if group.subdir_count == 0 || agree(&|s| s.subdir_count == req.subdir_count_per_path) {
            req.subdir_count_per_path
        } else if group.subdir_count == req.subdir_count_per_path {
            group.subdir_count
        } else {
            return Err(Status::EINVAL);
        };
    Ok((port, paths, subdirs))
}
