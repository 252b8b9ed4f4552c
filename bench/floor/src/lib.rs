//! A component that does nothing but answer: one constant badge for every request. Served by
//! the dev host like ociref, it measures what a fresh instance and `wasi:http` cost per
//! request before ociref does any work (`scripts/bench`, section 3).

#[cfg(target_arch = "wasm32")]
mod component {
    #![allow(unsafe_code, clippy::all)]
    wit_bindgen::generate!({
        path: "../../wit",
        inline: "package ociref:floor; world floor { export wasi:http/incoming-handler@0.2.2; }",
        world: "ociref:floor/floor",
        generate_all,
    });

    use exports::wasi::http::incoming_handler::Guest;
    use wasi::http::types::{
        Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
    };

    const BADGE: &[u8] = br#"{"schemaVersion":1,"label":"oci","message":"bench.azurecr.io/app:1.0.0","color":"blue","cacheSeconds":300}"#;

    struct Floor;

    impl Guest for Floor {
        fn handle(_request: IncomingRequest, out: ResponseOutparam) {
            let headers = Fields::new();
            let _ = headers.set("content-type", &[b"application/json".to_vec()]);
            let response = OutgoingResponse::new(headers);
            let Ok(body) = response.body() else { return };
            ResponseOutparam::set(out, Ok(response));
            if let Ok(stream) = body.write() {
                let _ = stream.blocking_write_and_flush(BADGE);
            }
            let _ = OutgoingBody::finish(body, None);
        }
    }

    export!(Floor);
}
