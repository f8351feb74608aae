//! `printhub serve`: the composition root. [`build`] assembles everything
//! (embedded emulators, the SQLite store, the engine, the configured
//! printers) and is what tests reuse; [`serve`] adds the HTTP server with
//! the gateway and runs until interrupted, then drains the engine.

use crate::config::Config;
use anyhow::Context;
use printhub_actors::{Hub, HubConfig, HubHandle, PrinterConfig, Retention};
use printhub_emulator::{Emulator, EmulatorHandle};
use std::sync::Arc;
use std::time::Duration;

/// A running hub (without its HTTP server).
#[derive(Debug)]
pub struct Running {
    /// The engine.
    pub hub: HubHandle,
    /// Emulated printers started with it (they stop when dropped).
    pub emulators: Vec<EmulatorHandle>,
}

/// Starts emulators, opens the store, starts the engine and registers the
/// configured printers that are not registered yet. Call inside an actix system.
pub async fn build(config: &Config) -> anyhow::Result<Running> {
    config.validate()?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("data_dir: cannot create {}", config.data_dir.display()))?;
    let mut emulators = Vec::new();
    for (i, emulator) in config.emulators.iter().enumerate() {
        let handle = Emulator::start(emulator.clone())
            .with_context(|| format!("emulator[{i}]: cannot start"))?;
        log::info!(
            "emulated {} with {} on tcp {}",
            handle.model().name,
            handle.media().map_or("no media", |m| m.id),
            handle.tcp_addr()
        );
        emulators.push(handle);
    }
    let db = config.data_dir.join("printhub.db");
    let store = printhub_store::Store::open(&db, printhub_store::StoreConfig::default())
        .with_context(|| format!("cannot open the database {}", db.display()))?;
    let retention = Retention {
        max_age: config
            .retention
            .max_age_days
            .map(|d| Duration::from_secs(d * 24 * 3600)),
        max_finished: config.retention.max_finished,
        ..Retention::default()
    };
    let hub = Hub::start(
        HubConfig {
            retention,
            ..HubConfig::default()
        },
        Arc::new(store),
    );
    for (i, p) in config.printers.iter().enumerate() {
        if hub.printer(&p.slug).await.is_ok() {
            continue;
        }
        hub.add_printer(PrinterConfig {
            id: None,
            slug: p.slug.clone(),
            name: p.name.clone().unwrap_or_else(|| p.slug.clone()),
            model: p.model.clone(),
            media: p.media.clone(),
            address: p.address.clone(),
            enabled: true,
            snmp: p.snmp.clone(),
            snmp_community: p.snmp_community.clone(),
            paused: false,
        })
        .await
        .with_context(|| format!("printer[{i}] ({})", p.slug))?;
    }
    Ok(Running { hub, emulators })
}

/// Runs the hub and its HTTP API until interrupted.
pub fn serve(config: Config) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let running = build(&config).await?;
        let hub = running.hub.clone();
        let gateway = printhub_gateway::GatewayConfig {
            body_limit: config.body_limit,
        };
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(actix_web::web::Data::new(hub.clone()))
                .app_data(actix_web::web::Data::new(gateway.clone()))
                .configure(printhub_gateway::configure)
                .configure(printhub_gateway::ui::configure_ui)
        })
        .bind(config.listen)
        .with_context(|| format!("listen: cannot bind {}", config.listen))?
        .run();
        log::info!("printhub listening on http://{}", config.listen);
        server.await.context("HTTP server")?;
        log::info!("shutting down: letting labels in flight finish");
        running.hub.shutdown().await.context("drain")?;
        Ok(())
    })
}
