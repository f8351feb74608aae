//! Shared by the end-to-end modules: the assembled hub behind a real HTTP
//! listener on loopback port 0, mounted exactly as `printhub serve` mounts it.

use printhub::config::Config;

/// Serves `running` on 127.0.0.1 port 0 (two workers, no signal handling);
/// returns the base URL (`http://127.0.0.1:<port>`).
pub fn listen(running: &printhub::serve::Running, config: &Config) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let data = running.app_data(config);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .configure(data.clone())
            .configure(printhub_gateway::configure)
    })
    .workers(2)
    // As `printhub serve`: a client that closes its end is gone.
    .h1_allow_half_closed(false)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    actix_web::rt::spawn(server);
    format!("http://{addr}")
}

/// Writes `text` as `printhub.toml` in `dir` and returns why it is refused
/// (parse or validation), the whole error chain on one line.
pub fn config_error(dir: &std::path::Path, text: &str) -> String {
    let path = dir.join("printhub.toml");
    std::fs::write(&path, text).expect("write");
    let err = Config::from_file(&path)
        .and_then(|c| c.validate().map(|()| c))
        .expect_err("invalid");
    format!("{err:#}")
}
