//! The form reader against forms built here, split into chunks at random
//! places, with both file sizings; and against arbitrary bytes (never a
//! panic).

use bytes::Bytes;
use futures_util::StreamExt;
use proptest::prelude::{any, prop, proptest};

use super::{BodyStream, FormError, Limits, read_form};

const B: &str = "----fdfsBoundary7MA4YWxkTrZu0gW";

fn form(fields: &[(&str, &str)], file: &[u8], epilogue: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, v) in fields {
        out.extend_from_slice(
            format!("--{B}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n\
             Content-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{B}--{epilogue}").as_bytes());
    out
}

fn chunked(data: Vec<u8>, cuts: &[usize]) -> BodyStream {
    let mut chunks = Vec::new();
    let mut rest = Bytes::from(data);
    for &c in cuts {
        let at = c % (rest.len() + 1);
        chunks.push(Ok(rest.split_to(at)));
    }
    chunks.push(Ok(rest));
    Box::pin(futures_util::stream::iter(chunks))
}

async fn read_all(
    data: Vec<u8>,
    cuts: &[usize],
    read_ahead: usize,
) -> Result<(Vec<(String, String)>, String, u64, Result<Vec<u8>, String>), FormError> {
    let len = data.len() as u64;
    let limits = Limits { read_ahead, ..Limits::default() };
    let form = read_form(chunked(data, cuts), B, Some(len), limits).await?;
    let mut body = form.body;
    let mut file = Vec::new();
    let mut failed = None;
    while let Some(item) = body.next().await {
        match item {
            Ok(b) => file.extend_from_slice(&b),
            Err(e) => failed = Some(e.to_string()),
        }
    }
    let file = match failed {
        Some(e) => Err(e),
        None => Ok(file),
    };
    Ok((form.fields, form.file.filename, form.file_len, file))
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
}

#[test]
fn fields_then_file_both_sizings() {
    let fields = [("key", "uploads/${filename}"), ("policy", "eyJ4Ijoi"), ("x-amz-meta-a", "")];
    let file = b"hello\r\n--not-the-boundary\r\nworld".to_vec();
    for read_ahead in [1, 4, 1024 * 1024] {
        let (got, name, len, body) =
            run(read_all(form(&fields, &file, "\r\n"), &[3, 50, 7], read_ahead)).unwrap();
        assert_eq!(got[0], ("key".into(), "uploads/${filename}".into()));
        assert_eq!(got.len(), 3);
        assert_eq!(name, "a \"b\".txt");
        assert_eq!(len, file.len() as u64);
        assert_eq!(body.unwrap(), file);
    }
}

#[test]
fn a_long_file_must_close_as_predicted() {
    let file = vec![b'x'; 5000];
    // No final CRLF: exact within the read-ahead, refused beyond it.
    let data = form(&[("key", "k")], &file, "");
    assert_eq!(run(read_all(data.clone(), &[], 1 << 20)).unwrap().3.unwrap(), file);
    // Small chunks, so the read-ahead ends before the file does.
    let small = [64; 200];
    assert!(run(read_all(data, &small, 100)).unwrap().3.is_err());
    // A field after a long file: refused, not stored as file bytes.
    let mut data = form(&[("key", "k")], &file, "\r\n");
    let tail = format!("--{B}--\r\n");
    data.truncate(data.len() - tail.len());
    data.extend_from_slice(
        format!("--{B}\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--{B}--\r\n")
            .as_bytes(),
    );
    assert!(run(read_all(data.clone(), &small, 100)).unwrap().3.is_err());
    // Within the read-ahead, the trailing field is ignored.
    assert_eq!(run(read_all(data, &[], 1 << 20)).unwrap().3.unwrap(), file);
}

#[test]
fn refusals() {
    let no_file =
        format!("--{B}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--{B}--\r\n");
    assert!(matches!(run(read_all(no_file.into_bytes(), &[], 1 << 20)), Err(FormError::NoFile)));
    let big = form(&[("policy", &"p".repeat(70 * 1024))], b"x", "\r\n");
    assert!(matches!(run(read_all(big, &[], 1 << 20)), Err(FormError::TooLarge)));
    assert!(matches!(
        run(read_all(b"garbage".to_vec(), &[], 1 << 20)),
        Err(FormError::Malformed(_))
    ));
    // A long file without a Content-Length.
    let data = form(&[], &[b'y'; 300], "\r\n");
    let limits = Limits { read_ahead: 10, ..Limits::default() };
    let r = run(read_form(chunked(data, &[64; 20]), B, None, limits));
    assert!(matches!(r, Err(FormError::NoLength)));
}

proptest! {
    #[test]
    fn any_form_any_chunks(
        fields in prop::collection::vec(("[a-zA-Z-]{1,12}", "[ -~]{0,40}"), 0..6),
        file in prop::collection::vec(any::<u8>(), 0..3000),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        read_ahead in 1usize..4000,
    ) {
        let fields: Vec<(String, String)> =
            fields.into_iter().filter(|(n, _)| !n.eq_ignore_ascii_case("file")).collect();
        let refs: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let (got, _, len, body) = run(read_all(form(&refs, &file, "\r\n"), &cuts, read_ahead)).unwrap();
        assert_eq!(got, fields);
        assert_eq!(len, file.len() as u64);
        assert_eq!(body.unwrap(), file);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        data in prop::collection::vec(any::<u8>(), 0..2000),
        cuts in prop::collection::vec(any::<usize>(), 0..5),
        read_ahead in 1usize..100,
    ) {
        let _ = run(read_all(data.clone(), &cuts, read_ahead));
        let mut framed = format!("--{B}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n")
            .into_bytes();
        framed.extend_from_slice(&data);
        let _ = run(read_all(framed, &cuts, read_ahead));
    }
}
