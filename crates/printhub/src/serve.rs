//! `printhub serve`: the composition root. [`build`] assembles everything
//! (embedded emulators, the SQLite store, the engine, the configured
//! printers, the auth policy and key ring, the live event log, the metrics
//! registry, the lookups and webhooks) and is what tests reuse; [`serve`] adds the HTTP server with the gateway and runs
//! until interrupted, then drains the engine.

use crate::config::Config;
use actix_web::web;
use anyhow::Context;
use printhub_actors::{Hub, HubConfig, HubHandle, HubStore, PrinterConfig, Retention};
use printhub_emulator::{Emulator, EmulatorHandle};
use printhub_gateway::{Auth, EventConfig, EventLog, Metrics, StoreProbe};
use printhub_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// A running hub (without its HTTP server).
#[derive(Debug)]
pub struct Running {
    /// The engine.
    pub hub: HubHandle,
    /// Grocy, Snipe-IT and Spoolman lookups (`[integrations.*]`).
    pub lookups: printhub_lookup::Lookups,
    /// The webhooks (`[integrations.grocy]`, `[[webhook]]`).
    pub webhooks: printhub_gateway::WebhookConfig,
    /// Emulated printers started with it (they stop when dropped).
    pub emulators: Vec<EmulatorHandle>,
    /// The database (jobs, printers, keys, audit).
    pub store: Arc<Store>,
    /// The auth policy and key ring.
    pub auth: Auth,
    /// The live event log behind `/api/events`.
    pub events: EventLog,
    /// The histograms behind `/metrics` (print duration, HTTP latency).
    pub metrics: Metrics,
    /// The admin key created on the first start (no keys yet), to show once.
    pub bootstrap_key: Option<String>,
}

impl Running {
    /// Adds everything the gateway reads to an app's data; use it with
    /// `App::configure` before [`printhub_gateway::configure`].
    pub fn app_data(&self, config: &Config) -> impl Fn(&mut web::ServiceConfig) + Clone + 'static {
        let hub = web::Data::new(self.hub.clone());
        let auth = web::Data::new(self.auth.clone());
        let events = web::Data::new(self.events.clone());
        let metrics = web::Data::new(self.metrics.clone());
        let probe = web::Data::new(StoreProbe::new(Arc::clone(&self.store)));
        // Created once, shared by every worker (one HTTP connection pool).
        let lookups = web::Data::new(self.lookups.clone());
        let webhooks = web::Data::new(self.webhooks.clone());
        let gateway = web::Data::new(printhub_gateway::GatewayConfig {
            body_limit: config.body_limit,
        });
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(hub.clone())
                .app_data(auth.clone())
                .app_data(events.clone())
                .app_data(metrics.clone())
                .app_data(probe.clone())
                .app_data(lookups.clone())
                .app_data(webhooks.clone())
                .app_data(gateway.clone());
        }
    }
}

/// How often keys changed by `printhub keys` (another process) are picked up.
const KEY_RELOAD: Duration = Duration::from_secs(5);

/// Starts emulators, opens the store, starts the engine and registers the
/// configured printers that are not registered yet. Call inside an actix system.
pub async fn build(config: &Config) -> anyhow::Result<Running> {
    config.validate()?;
    let auth_config = config.auth_config()?;
    let lookups = config.lookups()?;
    let webhooks = config.webhooks()?;
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
    let store = Store::open(&db, printhub_store::StoreConfig::default())
        .with_context(|| format!("cannot open the database {}", db.display()))?;
    let store = Arc::new(store);
    let auth = Auth::open(auth_config, Arc::clone(&store)).context("cannot load the API keys")?;
    let bootstrap_key = auth
        .bootstrap()
        .map_err(|e| anyhow::anyhow!("cannot create the bootstrap key: {e}"))?;
    let retention = Retention {
        max_age: config
            .retention
            .max_age_days
            .map(|d| Duration::from_secs(d * 24 * 3600)),
        max_finished: config.retention.max_finished,
        ..Retention::default()
    };
    let hub_store: Arc<dyn HubStore> = store.clone();
    let hub = Hub::start(
        HubConfig {
            retention,
            ..config.printing.hub_config()
        },
        hub_store,
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
    crate::integrations::spawn_spool_watcher(config, &lookups, &hub)?;
    let events = EventLog::start(hub.clone(), EventConfig::default());
    let metrics = Metrics::start(hub.clone()).context("metrics")?;
    spawn_key_reloader(auth.clone());
    Ok(Running {
        hub,
        lookups,
        webhooks,
        emulators,
        store,
        auth,
        events,
        metrics,
        bootstrap_key,
    })
}

/// Picks up keys created or revoked by another process every [`KEY_RELOAD`].
fn spawn_key_reloader(auth: Auth) {
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(KEY_RELOAD);
        loop {
            every.tick().await;
            let ring = auth.clone();
            match web::block(move || ring.reload()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => log::warn!("reloading API keys: {e}"),
                Err(e) => log::warn!("reloading API keys: {e}"),
            }
        }
    });
}

/// Runs the hub and its HTTP API until interrupted.
pub fn serve(config: Config) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let running = build(&config).await?;
        if let Some(key) = &running.bootstrap_key {
            eprintln!("printhub: first start: created an admin API key, shown this once:");
            eprintln!();
            eprintln!("    {key}");
            eprintln!();
        }
        let data = running.app_data(&config);
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .configure(data.clone())
                .configure(printhub_gateway::configure)
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
