//! ListParts and ListMultipartUploads over the index's paged queries.
//! With `encoding-type=url` keys and prefixes of the upload listing are
//! percent-encoded, which `s3s` leaves to the implementation.

use s3s::dto::{
    CommonPrefix, ETag, EncodingType, ListMultipartUploadsInput, ListMultipartUploadsOutput,
    ListPartsInput, ListPartsOutput, MultipartUpload, Part, StorageClass,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::super::bucket::check_owner;
use super::super::{Inner, error, owner_of, timestamp};
use super::checksum_type::UploadChecksum;
use super::page_size;
use crate::checksum::ChecksumAlgorithm;
use crate::encoding::encode_if;
use crate::index::{PartInfo, UploadListQuery};
use s3s::dto::ChecksumAlgorithm as ChecksumAlgorithmDto;

pub async fn list_parts(
    inner: &Inner,
    req: S3Request<ListPartsInput>,
) -> S3Result<S3Response<ListPartsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.list_parts", bucket = %input.bucket, key = %input.key,
        upload_id = %input.upload_id);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let max = page_size(input.max_parts, "max-parts")?;
        let marker = u32::try_from(input.part_number_marker.unwrap_or(0)).unwrap_or(0);
        let (b, k, u) = (input.bucket.clone(), input.key.clone(), input.upload_id.clone());
        let (upload, page) = inner
            .index
            .read(move |ix| {
                let upload = ix.get_upload(&b, &k, &u)?;
                let page = if max == 0 {
                    Default::default()
                } else {
                    ix.list_parts(&b, &k, &u, marker, max)?
                };
                Ok((upload, page))
            })
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let parts: Vec<Part> = page.parts.iter().map(part).collect();
        // The upload's checksum algorithm and type, as AWS lists them.
        let chosen = UploadChecksum::recorded(&upload.meta.checksums);
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            upload_id: Some(input.upload_id.clone()),
            max_parts: Some(i32::try_from(max).unwrap_or(i32::MAX)),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: page
                .next_part_number_marker
                .map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
            is_truncated: Some(page.is_truncated),
            storage_class: Some(StorageClass::from(
                upload.meta.storage_class.unwrap_or_else(|| "STANDARD".to_string()),
            )),
            parts: (!parts.is_empty()).then_some(parts),
            checksum_algorithm: chosen
                .map(|c| ChecksumAlgorithmDto::from(c.algorithm.as_str().to_string())),
            checksum_type: chosen.map(UploadChecksum::checksum_type),
            ..ListPartsOutput::default()
        }))
    }
    .instrument(span)
    .await
}

pub async fn list_multipart_uploads(
    inner: &Inner,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.list_multipart_uploads", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let url = match &input.encoding_type {
            None => false,
            Some(e) if e.as_str() == EncodingType::URL => true,
            Some(e) => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    format!("invalid encoding type {:?}", e.as_str()),
                ));
            }
        };
        let max = page_size(input.max_uploads, "max-uploads")?;
        let prefix = input.prefix.clone().unwrap_or_default();
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());
        let page = if max == 0 {
            Default::default()
        } else {
            let bucket = input.bucket.clone();
            let (p, d) = (prefix.clone(), delimiter.clone());
            let (km, um) = (input.key_marker.clone(), input.upload_id_marker.clone());
            inner
                .index
                .read(move |ix| {
                    let query = UploadListQuery {
                        prefix: &p,
                        delimiter: d.as_deref(),
                        key_marker: km.as_deref().filter(|m| !m.is_empty()),
                        upload_id_marker: um.as_deref().filter(|m| !m.is_empty()),
                        max_uploads: max,
                    };
                    ix.list_uploads(&bucket, &query)
                })
                .await
                .map_err(|e| error::from_index(e, &owner))?
        };
        let uploads: Vec<MultipartUpload> = page
            .uploads
            .iter()
            .map(|u| MultipartUpload {
                checksum_algorithm: UploadChecksum::recorded(&u.meta.checksums)
                    .map(|c| ChecksumAlgorithmDto::from(c.algorithm.as_str().to_string())),
                checksum_type: UploadChecksum::recorded(&u.meta.checksums)
                    .map(UploadChecksum::checksum_type),
                key: Some(encode_if(url, &u.key).into_owned()),
                upload_id: Some(u.upload_id.clone()),
                initiated: Some(timestamp(u.created_ms)),
                storage_class: Some(StorageClass::from(
                    u.meta.storage_class.clone().unwrap_or_else(|| "STANDARD".to_string()),
                )),
                ..MultipartUpload::default()
            })
            .collect();
        let prefixes: Vec<CommonPrefix> = page
            .common_prefixes
            .iter()
            .map(|p| CommonPrefix { prefix: Some(encode_if(url, p).into_owned()) })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket.clone()),
            prefix: Some(encode_if(url, &prefix).into_owned()),
            delimiter: delimiter.map(|d| encode_if(url, &d).into_owned()),
            key_marker: input.key_marker.as_deref().map(|m| encode_if(url, m).into_owned()),
            upload_id_marker: input.upload_id_marker.clone(),
            next_key_marker: page.next_key_marker.map(|m| encode_if(url, &m).into_owned()),
            next_upload_id_marker: page.next_upload_id_marker,
            max_uploads: Some(i32::try_from(max).unwrap_or(i32::MAX)),
            is_truncated: Some(page.is_truncated),
            encoding_type: input.encoding_type.clone(),
            uploads: (!uploads.is_empty()).then_some(uploads),
            common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
            ..ListMultipartUploadsOutput::default()
        }))
    }
    .instrument(span)
    .await
}

/// A stored part as ListParts reports it.
fn part(p: &PartInfo) -> Part {
    let get = |a: ChecksumAlgorithm| p.checksums.get(a.as_str()).cloned();
    Part {
        part_number: Some(i32::try_from(p.part_number).unwrap_or(i32::MAX)),
        e_tag: Some(ETag::Strong(p.etag.clone())),
        size: Some(i64::try_from(p.size).unwrap_or(i64::MAX)),
        last_modified: Some(timestamp(p.last_modified_ms)),
        checksum_crc32: get(ChecksumAlgorithm::Crc32),
        checksum_crc32c: get(ChecksumAlgorithm::Crc32c),
        checksum_sha1: get(ChecksumAlgorithm::Sha1),
        checksum_sha256: get(ChecksumAlgorithm::Sha256),
        checksum_crc64nvme: get(ChecksumAlgorithm::Crc64Nvme),
    }
}
