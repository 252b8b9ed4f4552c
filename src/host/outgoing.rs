//! `wasi:http/outgoing-handler` as the registry client's [`Transport`]: one request, its
//! status and headers, and at most `MAX_RESPONSE_BYTES` of body. Redirects are not followed
//! (the host's handler does not); each wait is bounded by `TIMEOUT_SECONDS`.

use super::bindings::wasi::http::outgoing_handler;
use super::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use super::bindings::wasi::io::streams::StreamError;
use crate::registry::url::Scheme as UrlScheme;
use crate::registry::{
    Incoming, Method as PlainMethod, Outgoing, Transport, TransportError, MAX_RESPONSE_BYTES,
    TIMEOUT_SECONDS,
};

pub struct WasiTransport;

fn unreachable(why: &str) -> TransportError {
    TransportError::Unreachable(why.to_owned())
}

/// What the host said, in words that carry no address or secret.
fn describe(code: &ErrorCode) -> TransportError {
    unreachable(match code {
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) => "DNS lookup failed",
        ErrorCode::DestinationNotFound | ErrorCode::DestinationUnavailable => {
            "destination unavailable"
        }
        ErrorCode::ConnectionRefused => "connection refused",
        ErrorCode::ConnectionTerminated => "connection closed",
        ErrorCode::ConnectionTimeout => "connection timed out",
        ErrorCode::ConnectionReadTimeout | ErrorCode::ConnectionWriteTimeout => "timed out",
        ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => "TLS failed",
        ErrorCode::HttpRequestDenied => "the host denied the request",
        _ => "the request failed",
    })
}

impl Transport for WasiTransport {
    fn send(&self, request: &Outgoing) -> Result<Incoming, TransportError> {
        let entries: Vec<(String, Vec<u8>)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.clone().into_bytes()))
            .collect();
        let headers = Fields::from_list(&entries).map_err(|_| unreachable("invalid header"))?;
        let outgoing = OutgoingRequest::new(headers);
        let method = match request.method {
            PlainMethod::Get => Method::Get,
            PlainMethod::Head => Method::Head,
        };
        let scheme = match request.url.scheme {
            UrlScheme::Http => Scheme::Http,
            UrlScheme::Https => Scheme::Https,
        };
        let set = outgoing.set_method(&method).is_ok()
            && outgoing.set_scheme(Some(&scheme)).is_ok()
            && outgoing.set_authority(Some(&request.url.authority)).is_ok()
            && outgoing
                .set_path_with_query(Some(&request.url.path_and_query))
                .is_ok();
        if !set {
            return Err(unreachable("invalid request target"));
        }
        let options = RequestOptions::new();
        let timeout = Some(TIMEOUT_SECONDS * 1_000_000_000);
        // A host may not support a timeout; it then applies its own.
        let _ = options.set_connect_timeout(timeout);
        let _ = options.set_first_byte_timeout(timeout);
        let _ = options.set_between_bytes_timeout(timeout);
        let body = outgoing
            .body()
            .map_err(|_| unreachable("no request body"))?;
        let pending =
            outgoing_handler::handle(outgoing, Some(options)).map_err(|e| describe(&e))?;
        let _ = OutgoingBody::finish(body, None);
        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(describe(&code)),
            _ => return Err(unreachable("no response")),
        };
        let status = response.status();
        let headers = super::plain_headers(&response.headers());
        let mut bytes = Vec::new();
        if request.method == PlainMethod::Get {
            let incoming = response
                .consume()
                .map_err(|_| unreachable("no response body"))?;
            let stream = incoming
                .stream()
                .map_err(|_| unreachable("no response body"))?;
            loop {
                match stream.blocking_read(64 * 1024) {
                    Ok(chunk) => bytes.extend_from_slice(&chunk),
                    Err(StreamError::Closed) => break,
                    Err(StreamError::LastOperationFailed(_)) => {
                        return Err(unreachable("the response body broke off"))
                    }
                }
                if bytes.len() > MAX_RESPONSE_BYTES {
                    return Err(TransportError::TooLarge);
                }
            }
            drop(stream);
            let _ = IncomingBody::finish(incoming);
        }
        Ok(Incoming {
            status,
            headers,
            body: bytes,
        })
    }
}
