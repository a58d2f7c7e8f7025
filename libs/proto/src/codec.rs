//! The protobuf codec of every Pyred service and client: prost's encoding, with a
//! message that cannot be decoded reported as the sender's mistake.
//!
//! tonic's stock codec answers an undecodable request (invalid UTF-8 in a string field,
//! a truncated varint, a length past the end, a wrong wire type, tag 0) with `Internal`,
//! as if the server had failed. Pyred answers `InvalidArgument`, with prost's reason in
//! the message and one `google.rpc.BadRequest` field violation naming the field where
//! decoding stopped (`SearchRequest.query`), or `(message)` when prost names none. The
//! generated servers and clients use this codec (`libs/proto/build.rs`), so the rule
//! holds for every RPC in one place.

use std::marker::PhantomData;

use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::{ProstCodec, ProstEncoder};
use tonic_types::{ErrorDetails, StatusExt};

/// The longest decoder reason copied into a status (statuses travel in HTTP/2 headers).
const MAX_REASON_CHARS: usize = 300;

/// prost's codec, with undecodable messages answered as `InvalidArgument`.
#[derive(Debug, Clone)]
pub struct PyredCodec<T, U> {
    _types: PhantomData<(T, U)>,
}

impl<T, U> Default for PyredCodec<T, U> {
    fn default() -> Self {
        Self {
            _types: PhantomData,
        }
    }
}

impl<T, U> Codec for PyredCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = PyredDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::raw_encoder(BufferSettings::default())
    }

    fn decoder(&mut self) -> Self::Decoder {
        PyredDecoder { _type: PhantomData }
    }
}

/// Decodes `U`, mapping prost's errors to `InvalidArgument`.
#[derive(Debug, Clone)]
pub struct PyredDecoder<U> {
    _type: PhantomData<U>,
}

impl<U: Message + Default> Decoder for PyredDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf)
            .map(Some)
            .map_err(|error| undecodable(&error))
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// The status for a message prost could not decode.
pub fn undecodable(error: &prost::DecodeError) -> Status {
    let reason: String = error.to_string().chars().take(MAX_REASON_CHARS).collect();
    let field = field_of(&reason).unwrap_or("(message)").to_owned();
    let description = reason
        .strip_prefix("failed to decode Protobuf message: ")
        .unwrap_or(&reason)
        .to_owned();
    Status::with_error_details(
        tonic::Code::InvalidArgument,
        format!("the request cannot be decoded: {description}"),
        ErrorDetails::with_bad_request_violation(field, description),
    )
}

/// The innermost `Message.field` that prost's reason names, if any.
///
/// prost writes `failed to decode Protobuf message: Outer.field: Inner.field: reason`.
fn field_of(reason: &str) -> Option<&str> {
    reason
        .split(": ")
        .skip(1)
        .filter(|part| {
            let mut pieces = part.split('.');
            matches!((pieces.next(), pieces.next(), pieces.next()),
                (Some(message), Some(field), None)
                    if !message.is_empty()
                        && !field.is_empty()
                        && !part.contains(' '))
        })
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_status(bytes: &[u8]) -> Status {
        let error = crate::v1::SearchRequest::decode(bytes).expect_err("undecodable");
        undecodable(&error)
    }

    #[test]
    fn invalid_utf8_names_the_field() {
        // field 1 (query), length-delimited, two bytes that are not UTF-8
        let status = decode_status(&[0x0a, 0x02, 0xff, 0xfe]);
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("bad request").field_violations;
        assert_eq!(violations[0].field, "SearchRequest.query");
        assert!(
            violations[0].description.contains("UTF-8"),
            "{violations:?}"
        );
    }

    #[test]
    fn truncated_and_malformed_messages_are_the_callers_mistake() {
        for bytes in [
            &[0x0a, 0x05, b'a'][..], // length past the end
            &[0x08, 0xff][..],       // truncated varint
            &[0x00, 0x01][..],       // tag 0
            &[0x0b][..],             // start group (wire type 3) for a string field
        ] {
            let status = decode_status(bytes);
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "{bytes:?}");
            assert!(
                status
                    .message()
                    .starts_with("the request cannot be decoded")
            );
            assert!(status.get_error_details().bad_request().is_some());
        }
    }
}
