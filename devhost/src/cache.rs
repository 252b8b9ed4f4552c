//! A directory of compiled components, so that a restarted host skips Cranelift: the file name
//! is a hash of the `.wasm` bytes and of everything about the engine that affects its code
//! (`Engine::precompile_compatibility_hash`: wasmtime version, target, settings).
//!
//! Loading precompiled code is `unsafe` in wasmtime because the bytes are trusted to be what
//! wasmtime itself wrote. Here they are: only this module writes the directory, each file is
//! written under a temporary name and renamed into place, and wasmtime still checks the
//! header (version, target, flags) before using it. A file it refuses is compiled anew and
//! replaced.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::Engine;

pub(crate) fn load(engine: &Engine, wasm: &[u8], dir: &Path) -> wasmtime::Result<Component> {
    let path = entry(engine, wasm, dir);
    if path.is_file() {
        if let Ok(component) = deserialize(engine, &path) {
            return Ok(component);
        }
    }
    let component = Component::new(engine, wasm)?;
    // A cache that cannot be written only costs the next start a compile.
    if let Ok(code) = component.serialize() {
        let _ = store(&path, &code);
    }
    Ok(component)
}

fn entry(engine: &Engine, wasm: &[u8], dir: &Path) -> PathBuf {
    // Not a cryptographic hash: the directory is the host's own, not an input.
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    wasm.hash(&mut hasher);
    dir.join(format!("ociref-{:016x}.cwasm", hasher.finish()))
}

fn store(path: &Path, code: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension(format!("{}.part", std::process::id()));
    std::fs::write(&partial, code)?;
    std::fs::rename(&partial, path)
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: the file was written by `store` above from `Component::serialize` of this
    // engine's configuration (see the module comment); wasmtime checks its header.
    unsafe { Component::deserialize_file(engine, path) }
}
