//! S3 XML bodies to and from the DTOs, with `s3s`'s own (de)serializer,
//! so an exported configuration is byte for byte what the `Get` call
//! answers and an imported one parses as the `Put` call's body would.

use s3s::xml::{Deserialize, Deserializer, Serialize, Serializer};

/// `value` as an XML document (no declaration).
pub(super) fn to_xml<T: Serialize>(value: &T) -> Result<String, String> {
    let mut buf = Vec::new();
    value.serialize(&mut Serializer::new(&mut buf)).map_err(|e| e.to_string())?;
    String::from_utf8(buf).map_err(|e| e.to_string())
}

/// The DTO XML document `body` holds; anything else (trailing content
/// included) is an error.
pub(super) fn from_xml<T>(body: &str) -> Result<T, String>
where
    T: for<'xml> Deserialize<'xml>,
{
    let mut d = Deserializer::new(body.as_bytes());
    let value = T::deserialize(&mut d).map_err(|e| format!("malformed XML: {e:?}"))?;
    d.expect_eof().map_err(|e| format!("malformed XML: {e:?}"))?;
    Ok(value)
}
