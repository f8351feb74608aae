//! Tidy checks on the workspace's shape (in the manner of rust-analyzer's
//! tidy tests): the dependency rules docs/ARCHITECTURE.md states, read from
//! every `crates/*/Cargo.toml`, so a new dependency that breaks a layer
//! fails here with the rule it breaks instead of slipping in.
//!
//! - Every crate's folder is its package name.
//! - A crate depends only on printhub crates of a lower layer (no arrow runs
//!   back up): core, raster < render, store, emulator, ipp < lookup, actors <
//!   gateway, mqtt, notify < printhub.
//! - The pure crates (core, raster, render) do no I/O: their dependencies
//!   are an allow-list of crates that do none (no runtime, sockets, files,
//!   database or HTTP client). Adding one to it is a decision to write down.
//! - Only printhub-actors depends on `actix`; only printhub-gateway (and the
//!   `printhub` binary, which assembles the server) on `actix-web`.

use std::collections::BTreeMap;
use std::path::Path;

/// Each workspace crate's layer (a crate may depend on lower layers only).
const LAYERS: &[(&str, u8)] = &[
    ("printhub-core", 0),
    ("printhub-raster", 0),
    ("printhub-render", 1),
    ("printhub-store", 1),
    ("printhub-emulator", 1),
    ("printhub-ipp", 1),
    ("printhub-lookup", 2),
    ("printhub-actors", 2),
    ("printhub-gateway", 3),
    ("printhub-mqtt", 3),
    ("printhub-notify", 3),
    ("printhub", 4),
];

/// Crates the pure crates may use: data types, encodings, fonts, codes and
/// image formats, none of which touches a file, socket, clock or thread.
const PURE_ALLOWED: &[&str] = &[
    "printhub-raster",
    "serde",
    "serde_json",
    "thiserror",
    "uuid",
    "base64",
    "bitflags",
    "schemars",
    "ab_glyph",
    "barcoders",
    "datamatrix",
    "dejavu",
    "image",
    "png",
    // QR symbols in memory (Nayuki's reference implementation): no I/O.
    "qrcodegen",
    // A bounded map in memory (the glyph cache): no I/O.
    "lru",
];

const PURE: &[&str] = &["printhub-core", "printhub-raster", "printhub-render"];

/// Every workspace crate: its folder name, package name and normal
/// (non-dev) dependencies.
fn crates() -> Vec<(String, String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&root).expect("crates/") {
        let dir = entry.expect("entry").path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).expect("Cargo.toml");
        let doc: toml::Table = text.parse().expect("valid TOML");
        let name = doc["package"]["name"]
            .as_str()
            .expect("package.name")
            .to_string();
        let deps = doc
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        let folder = dir
            .file_name()
            .and_then(|f| f.to_str())
            .expect("folder name")
            .to_string();
        found.push((folder, name, deps));
    }
    found.sort();
    found
}

#[test]
fn every_crate_folder_is_its_package_name() {
    for (folder, name, _) in crates() {
        assert_eq!(folder, name, "crates/{folder} holds package {name}");
    }
}

#[test]
fn every_crate_has_a_layer_and_depends_only_downwards() {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    for (_, name, deps) in crates() {
        let Some(&own) = layers.get(name.as_str()) else {
            panic!("{name} has no layer: add it to LAYERS and to docs/ARCHITECTURE.md's map");
        };
        for dep in deps.iter().filter(|d| d.starts_with("printhub")) {
            let theirs = layers
                .get(dep.as_str())
                .unwrap_or_else(|| panic!("{name} depends on {dep}, which has no layer"));
            assert!(
                *theirs < own,
                "{name} (layer {own}) depends on {dep} (layer {theirs}): arrows run downwards only"
            );
        }
    }
}

#[test]
fn the_pure_crates_depend_on_no_io() {
    for (_, name, deps) in crates()
        .into_iter()
        .filter(|(_, n, _)| PURE.contains(&n.as_str()))
    {
        for dep in deps {
            assert!(
                PURE_ALLOWED.contains(&dep.as_str()),
                "{name} is pure (no I/O) but depends on {dep}: if {dep} does no I/O, add it \
                 to PURE_ALLOWED and say so in docs/ARCHITECTURE.md"
            );
        }
    }
}

#[test]
fn only_the_actors_use_actix_and_only_the_gateway_serves_http() {
    for (_, name, deps) in crates() {
        if deps.iter().any(|d| d == "actix") {
            assert_eq!(name, "printhub-actors", "{name} depends on actix");
        }
        if deps.iter().any(|d| d == "actix-web") {
            assert!(
                name == "printhub-gateway" || name == "printhub",
                "{name} depends on actix-web: HTTP belongs to the gateway (and the binary that assembles it)"
            );
        }
    }
}
