//! Client queries (101–107): where to upload, which storage serves a file,
//! which storage takes changes to it. Replies use the IP field width of
//! `response_ip_addr_size`.

use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::filename::NameInfo;
use fdfs_protocol::tracker::{
    QueryFetchAll, QueryFetchOne, QueryStoreWithGroupAll, QueryStoreWithGroupOne,
    QueryStoreWithoutGroupAll, QueryStoreWithoutGroupOne, QueryUpdate,
};
use fdfs_protocol::{EncodeWidth, Status, cmd};

use super::session::{Fault, Reply, decode};
use super::state::{TrackerState, now};
use crate::placement;

pub fn handle(state: &TrackerState, code: u8, body: &[u8]) -> Result<Reply, Fault> {
    let policy = &state.policy;
    let reply =
        |message: &dyn EncodeWidth| Reply::Body(message.to_body_with(policy.response_ip_addr_size));
    match code {
        cmd::QUERY_STORE_WITHOUT_GROUP_ONE => {
            decode::<QueryStoreWithoutGroupOne>(body)?;
            let target = state.with_cluster(|c| placement::store_one(c, policy, None))?;
            Ok(reply(&target))
        }
        cmd::QUERY_STORE_WITH_GROUP_ONE => {
            let req = decode::<QueryStoreWithGroupOne>(body)?;
            let target =
                state.with_cluster(|c| placement::store_one(c, policy, Some(&req.group)))?;
            Ok(reply(&target))
        }
        cmd::QUERY_STORE_WITHOUT_GROUP_ALL => {
            decode::<QueryStoreWithoutGroupAll>(body)?;
            let targets = state.with_cluster(|c| placement::store_all(c, policy, None))?;
            Ok(reply(&targets))
        }
        cmd::QUERY_STORE_WITH_GROUP_ALL => {
            let req = decode::<QueryStoreWithGroupAll>(body)?;
            let targets =
                state.with_cluster(|c| placement::store_all(c, policy, Some(&req.group)))?;
            Ok(reply(&targets))
        }
        cmd::QUERY_FETCH_ONE => {
            let req = decode::<QueryFetchOne>(body)?;
            let name = name_info(&req.filename)?;
            let now = now();
            let target =
                state.with_cluster(|c| placement::fetch_one(c, policy, &req.group, &name, now))?;
            Ok(reply(&target))
        }
        cmd::QUERY_FETCH_ALL => {
            let req = decode::<QueryFetchAll>(body)?;
            let name = name_info(&req.filename)?;
            let now = now();
            let targets =
                state.with_cluster(|c| placement::fetch_all(c, policy, &req.group, &name, now))?;
            Ok(reply(&targets))
        }
        cmd::QUERY_UPDATE => {
            let req = decode::<QueryUpdate>(body)?;
            let name = name_info(&req.filename)?;
            let target = state.with_cluster(|c| placement::update(c, policy, &req.group, &name))?;
            Ok(reply(&target))
        }
        _ => Err(Fault::Status(Status::EINVAL)),
    }
}

/// What a logic filename says about its file. A name that does not decode
/// names no file this cluster could have: EINVAL, as FastDFS answers.
fn name_info(filename: &str) -> Result<NameInfo, Fault> {
    LogicName::parse(filename)
        .and_then(|logic| logic.info())
        .map_err(|_| Fault::Status(Status::EINVAL))
}
