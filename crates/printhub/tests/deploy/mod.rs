//! The deployment files (issue #19): the container image's configuration is
//! one `printhub serve` accepts as it is, and the image's `HEALTHCHECK`
//! command (`printhub healthcheck`) succeeds while a hub serves and fails
//! when none does.

use super::{eventually, free_port, printhub, s, spawn_serve};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn deploy(file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(file)
}

#[test]
fn the_image_config_is_valid_and_its_healthcheck_follows_the_hub() {
    let shipped = deploy("printhub.toml");
    let config = printhub::config::Config::from_file(&shipped).expect("parses");
    config.validate().expect("valid");
    assert_eq!(config.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(config.data_dir, Path::new("/data"));
    assert!(
        config.auth_config().expect("auth").anonymous.is_none(),
        "keys only"
    );
    let containerfile = std::fs::read_to_string(deploy("Containerfile")).expect("Containerfile");
    assert!(
        containerfile.contains(r#"CMD ["/printhub", "healthcheck"]"#),
        "the HEALTHCHECK runs printhub healthcheck"
    );
    assert!(containerfile.contains("FROM scratch"));

    // The same file on loopback and a temporary data directory.
    let dir = tempfile::tempdir().expect("tmp");
    let addr = format!("127.0.0.1:{}", free_port());
    let text = std::fs::read_to_string(&shipped)
        .expect("read")
        .replace("0.0.0.0:8080", &addr)
        .replace("\"/data\"", &format!("{:?}", s(&dir.path().join("data"))));
    let file = dir.path().join("printhub.toml");
    std::fs::write(&file, text).expect("write");
    let check = || {
        Command::new(env!("CARGO_BIN_EXE_printhub"))
            .arg("healthcheck")
            .env("PRINTHUB_LISTEN", &addr)
            .env("RUST_LOG", "off")
            .output()
            .expect("run healthcheck")
    };
    assert!(!check().status.success(), "no hub: unhealthy");
    assert!(
        !printhub(&["healthcheck", "--address", &addr])
            .status
            .success(),
        "no hub: unhealthy"
    );
    let mut child = spawn_serve(&file);
    let healthy = eventually(Duration::from_secs(60), || check().status.success());
    let by_address = printhub(&["healthcheck", "--address", &addr]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(healthy, "healthy once the hub serves");
    assert!(
        by_address.status.success(),
        "{}",
        String::from_utf8_lossy(&by_address.stderr)
    );
    assert!(!check().status.success(), "stopped: unhealthy");
}
