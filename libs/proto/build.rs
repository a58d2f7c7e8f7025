//! Compiles `proto/pyred/v1/*.proto` with the pure-Rust `protox` compiler (no system
//! `protoc`), generates the prost messages and tonic clients/servers, and writes the
//! file descriptor set that the servers expose through gRPC reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    let files = [
        "common",
        "registry",
        "geo_search",
        "matchmaking",
        "access",
        "brokerage",
    ]
    .map(|name| proto_root.join(format!("pyred/v1/{name}.proto")));

    // protox does not emit rerun-if-changed lines: name every input ourselves.
    println!("cargo:rerun-if-changed={}", proto_root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let descriptors = protox::compile(&files, [&proto_root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("pyred_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Undecodable messages answer InvalidArgument, not Internal (src/codec.rs).
        .codec_path("crate::codec::PyredCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
