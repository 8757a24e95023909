//! SigV4 by hand, for tests that send what the SDK will not (signed
//! chunks, `Date`-dated requests, presigned URLs of any lifetime) over a
//! plain socket.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{KEY_ID, SECRET};

pub const REGION: &str = "us-east-1";

/// Unix seconds now.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) of unix seconds `t`.
pub fn http_date(t: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (_, amz) = amz_dates(t);
    let month: usize = amz[4..6].parse().unwrap();
    format!(
        "{}, {} {} {} {}:{}:{} GMT",
        DAYS[(t / 86_400 % 7) as usize],
        &amz[6..8],
        MONTHS[month - 1],
        &amz[0..4],
        &amz[9..11],
        &amz[11..13],
        &amz[13..15]
    )
}

/// The SigV4 signature of `canonical` at `amz_date` with the test secret.
pub fn signature(amz_date: &str, canonical: &str) -> String {
    let date = &amz_date[..8];
    let scope = format!("{date}/{REGION}/s3/aws4_request");
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical));
    hex(&hmac(&signing_key(date), to_sign.as_bytes()))
}

/// The query string of a presigned GET of `path` on `host`, signed at
/// `amz_date`, valid `expires` seconds.
pub fn presigned_query(host: &str, path: &str, amz_date: &str, expires: u64) -> String {
    let credential = format!("{KEY_ID}%2F{}%2F{REGION}%2Fs3%2Faws4_request", &amz_date[..8]);
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={amz_date}\
         &X-Amz-Expires={expires}&X-Amz-SignedHeaders=host"
    );
    let canonical = format!("GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    format!("{query}&X-Amz-Signature={}", signature(amz_date, &canonical))
}

/// An HTTP/1.1 exchange on a fresh connection: status, raw head, body.
pub async fn exchange(addr: SocketAddr, request: &str) -> (u16, String, String) {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// The value of header `name` in a raw response head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

pub fn signing_key(date: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{SECRET}").as_bytes(), date.as_bytes());
    let k = hmac(&k, REGION.as_bytes());
    let k = hmac(&k, b"s3");
    hmac(&k, b"aws4_request")
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex(&Sha256::digest(data.as_ref()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `YYYYMMDD` and `YYYYMMDDTHHMMSSZ` for unix seconds `t` (UTC).
pub fn amz_dates(t: u64) -> (String, String) {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}{month:02}{day:02}");
    let time = format!("{:02}{:02}{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    (date.clone(), format!("{date}T{time}Z"))
}
