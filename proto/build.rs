//! Compiles the .proto files with protox (a protobuf compiler in pure Rust),
//! so a fresh machine builds with `cargo` alone: no system `protoc`.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "partnership/common/v1/common.proto",
    "partnership/intake/v1/intake.proto",
    "partnership/employment/v1/employment.proto",
    "partnership/beschut/v1/beschut.proto",
    "partnership/reporting/v1/reporting.proto",
    "partnership/finance/v1/finance.proto",
    "partnership/audit/v1/audit.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut compiler = protox::Compiler::new(["."])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(PROTOS)?;
    // Server reflection serves this set, comments included, so that
    // `grpcurl describe` shows the documentation written in the protos.
    std::fs::write(out_dir.join("partnership_descriptor.bin"), compiler.encode_file_descriptor_set())?;
    // Reports (and the types they hold) can also be written as JSON.
    let serializable = [".partnership.reporting", ".partnership.common", ".google.type"];
    let mut builder = tonic_prost_build::configure();
    for path in serializable {
        builder = builder.type_attribute(path, "#[derive(serde::Serialize)]");
    }
    builder.compile_fds(compiler.file_descriptor_set())?;
    println!("cargo:rerun-if-changed=partnership");
    println!("cargo:rerun-if-changed=google");
    Ok(())
}
