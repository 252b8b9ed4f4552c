//! Builds the ociref component (release, `wasm32-wasip2`) so that `cargo run -p ociref-devhost`
//! and `cargo test --workspace` always serve the component of this checkout, and hands its path
//! to the crate as the compile-time constant `OCIREF_WASM`.
//!
//! The component gets its own target directory: building it inside this cargo invocation's
//! target directory would wait forever on the lock this very build holds.
//!
//! `OCIREF_WASM=/path/to/ociref.wasm` at build time skips the build and uses that file instead.
//!
//! It builds the wasmCloud 2.x variant too (cargo feature `wasmcloud-v2`, world `ociref-v2`),
//! copied to `<target>/component/ociref-wasmcloud2.wasm` and handed over as `OCIREF_V2_WASM`
//! (that variable at build time, likewise, names a prebuilt one).

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const TARGET: &str = "wasm32-wasip2";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // `cargo:warning` lines are what cargo shows of a failed build script without -vv.
            for line in message.lines() {
                println!("cargo:warning={line}");
            }
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    // The 2.x variant first: both builds write release/ociref.wasm, and the 1.x one must stay.
    let v2 = match prebuilt("OCIREF_V2_WASM") {
        Some(path) => path,
        None => {
            let built = build(&["--features", "wasmcloud-v2"])?;
            let copy = built
                .parent()
                .and_then(Path::parent)
                .and_then(Path::parent)
                .ok_or("unexpected component path")?
                .join("ociref-wasmcloud2.wasm");
            std::fs::copy(&built, &copy)
                .map_err(|e| format!("copying {} failed: {e}", built.display()))?;
            copy
        }
    };
    let v1 = match prebuilt("OCIREF_WASM") {
        Some(path) => path,
        None => build(&[])?,
    };
    export("OCIREF_WASM", &v1);
    export("OCIREF_V2_WASM", &v2);
    Ok(())
}

fn prebuilt(variable: &str) -> Option<PathBuf> {
    println!("cargo:rerun-if-env-changed={variable}");
    let path = PathBuf::from(env::var_os(variable)?);
    println!("cargo:rerun-if-changed={}", path.display());
    Some(path)
}

/// Builds the component with `features` and returns the path of the `.wasm`.
fn build(features: &[&str]) -> Result<PathBuf, String> {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .parent()
        .ok_or("devhost/ has no parent directory")?
        .to_path_buf();
    for watched in [
        "src",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
        "scripts/link-component",
        "scripts/join-data-segments",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }

    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    require_target(&rustc)?;

    let target_dir = component_target_dir(&workspace);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(&workspace)
        .args(["build", "--release", "--target", TARGET, "-p", "ociref"])
        .args(features)
        .arg("--target-dir")
        .arg(&target_dir)
        // What the outer cargo set for *this* build must not leak into the component's build:
        // clippy's wrapper would lint it, host rustflags would break it, and a changed
        // environment would make cargo rebuild it from scratch every time.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .env_remove("CLIPPY_CONF_DIR")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .env("RUSTC", &rustc);
    let status = command
        .status()
        .map_err(|e| format!("could not run {}: {e}", Path::new(&cargo).display()))?;
    if !status.success() {
        return Err(format!(
            "building the ociref component failed ({status}); run\n  \
             cargo build --release --target {TARGET} -p ociref {}\nin {} to see why",
            features.join(" "),
            workspace.display()
        ));
    }

    let wasm = target_dir.join(TARGET).join("release").join("ociref.wasm");
    if !wasm.is_file() {
        return Err(format!(
            "the component build succeeded but {} is missing",
            wasm.display()
        ));
    }
    Ok(wasm)
}

fn export(variable: &str, path: &Path) {
    println!("cargo:rustc-env={variable}={}", path.display());
}

/// `<target>/component`, next to this build's own profiles, so `cargo clean` removes it too.
fn component_target_dir(workspace: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir.join("component"),
        Some(dir) => workspace.join(dir).join("component"),
        None => workspace.join("target").join("component"),
    }
}

/// Fails early with the fix when the standard library for the component target is missing,
/// instead of letting the nested build end in "can't find crate for `core`".
fn require_target(rustc: &OsString) -> Result<(), String> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("could not run rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let installed = Path::new(&sysroot).join("lib").join("rustlib").join(TARGET);
    if output.status.success() && installed.is_dir() {
        Ok(())
    } else {
        Err(format!(
            "the Rust target {TARGET} is not installed (looked in {}).\n\
             Install it with:  rustup target add {TARGET}\n\
             or point OCIREF_WASM at a prebuilt ociref.wasm.",
            installed.display()
        ))
    }
}
