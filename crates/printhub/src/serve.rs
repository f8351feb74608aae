//! `printhub serve`: the composition root. [`build`] assembles everything
//! (embedded emulators, the SQLite store, the engine, the configured
//! printers, the auth policy and key ring, the live event log, the metrics
//! registry, the lookups and webhooks, MQTT and notifications) and is what tests reuse; [`serve`] adds the HTTP server with the gateway and runs
//! until interrupted, then drains the engine.

use crate::config::{Config, PrinterEntry};
use actix_web::web;
use anyhow::Context;
use printhub_actors::{
    Hub, HubConfig, HubHandle, HubStore, NameCheck, PrinterConfig, PrinterPatch, Retention,
};
use printhub_emulator::{Emulator, EmulatorHandle};
use printhub_gateway::{Auth, EventLog, Limits, Metrics, SavedLabels, StoreProbe};
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
    /// Label Printer Hub's webhooks (`[compat] webhook_key`).
    pub legacy_webhooks: printhub_gateway::LegacyWebhookConfig,
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
    /// What one caller may cost (`[limits]`): the image gate, preview and
    /// webhook rate limits, the body deadline; one for every worker.
    pub limits: Limits,
    /// The admin key created on the first start (no keys yet), to show once.
    pub bootstrap_key: Option<String>,
    /// MQTT / Home Assistant and notifications (`[mqtt]`, `[[notify]]`).
    pub outbound: crate::outbound::Outbound,
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
        let saved = web::Data::new(SavedLabels::new(Arc::clone(&self.store)));
        // Created once, shared by every worker (one HTTP connection pool).
        let lookups = web::Data::new(self.lookups.clone());
        let webhooks = web::Data::new(self.webhooks.clone());
        let gateway = web::Data::new(printhub_gateway::GatewayConfig {
            body_limit: config.body_limit,
        });
        let limits = web::Data::new(self.limits.clone());
        let landing = web::Data::new(config.landing_config());
        let legacy_webhooks = web::Data::new(self.legacy_webhooks.clone());
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(hub.clone())
                .app_data(auth.clone())
                .app_data(events.clone())
                .app_data(metrics.clone())
                .app_data(probe.clone())
                .app_data(saved.clone())
                .app_data(lookups.clone())
                .app_data(webhooks.clone())
                .app_data(gateway.clone())
                .app_data(limits.clone())
                .app_data(landing.clone())
                .app_data(legacy_webhooks.clone());
        }
    }
}

/// How long a stop waits for HTTP connections (open event streams included)
/// before closing them; the engine's drain comes after.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Waits for SIGINT or SIGTERM; returns which.
async fn stop_signal() -> std::io::Result<&'static str> {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

/// How often keys changed by `printhub keys` (another process) are picked up.
const KEY_RELOAD: Duration = Duration::from_secs(5);

/// Starts emulators, opens the store, starts the engine and registers the
/// configured printers that are not registered yet (and applies connection
/// settings changed in the file to those that are, see [`file_changes`]). Call
/// inside an actix system.
///
/// A printer's host name that does not resolve now (DNS down, the printer
/// renamed) never stops the hub: the printer starts offline with the reason
/// `address_unresolvable` and resolves again on every attempt
/// ([`NameCheck::OnConnect`]); so does every printer stored before, whatever
/// its address says now.
pub async fn build(config: &Config) -> anyhow::Result<Running> {
    config.validate()?;
    let auth_config = config.auth_config()?;
    let lookups = config.lookups()?;
    let webhooks = config.webhooks()?;
    let legacy_webhooks = config.legacy_webhooks()?;
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
    let registered = HubStore::load_printers(&*store).context("cannot read the printers")?;
    for (i, p) in config.printers.iter().enumerate() {
        if let Some(known) = registered.iter().find(|r| r.slug == p.slug) {
            if let Some(patch) = file_changes(p, known) {
                log::info!(
                    "printer[{i}] ({}): connection settings changed in the configuration file; applying them",
                    p.slug
                );
                hub.update_printer_with(&p.slug, patch, NameCheck::OnConnect)
                    .await
                    .with_context(|| format!("printer[{i}] ({})", p.slug))?;
            }
            continue;
        }
        hub.add_printer_with(
            PrinterConfig {
                id: None,
                slug: p.slug.clone(),
                name: p.name.clone().unwrap_or_else(|| p.slug.clone()),
                model: p.model.clone(),
                media: p.media.clone(),
                address: p.target().to_string(),
                enabled: true,
                snmp: p.snmp.clone().filter(|s| !s.trim().is_empty()),
                snmp_community: p.snmp_community.clone(),
                paused: false,
                defaults: p.defaults.unwrap_or_default(),
            },
            NameCheck::OnConnect,
        )
        .await
        .with_context(|| format!("printer[{i}] ({})", p.slug))?;
    }
    crate::integrations::spawn_spool_watcher(
        &config.integrations,
        &config.data_dir,
        &lookups,
        &hub,
    )?;
    let events = EventLog::start(hub.clone(), config.limits.events());
    let limits = Limits::new(config.limits.gateway(config.auth.rate_limit_per_minute));
    let metrics = Metrics::start(hub.clone()).context("metrics")?;
    let outbound = crate::outbound::start(config, &hub, &metrics)?;
    spawn_key_reloader(auth.clone());
    Ok(Running {
        hub,
        lookups,
        webhooks,
        legacy_webhooks,
        emulators,
        store,
        auth,
        events,
        metrics,
        limits,
        bootstrap_key,
        outbound,
    })
}

/// What a `[[printer]]` entry changes in the printer registered under its slug.
///
/// The file owns how the printer is reached: model, address, SNMP agent and
/// community. Media and name are where a printer starts: the loaded media
/// follows the tape a person puts in (changed through the API or the web UI),
/// so a restart must not undo it — unless the model changed, when the file's
/// media comes along (the old one may not fit the new model).
fn file_changes(entry: &PrinterEntry, known: &PrinterConfig) -> Option<PrinterPatch> {
    let differs = |file: &Option<String>, stored: &Option<String>| {
        let norm = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        norm(file) != norm(stored)
    };
    let model_changed = entry.model != known.model;
    let patch = PrinterPatch {
        model: model_changed.then(|| entry.model.clone()),
        media: (model_changed && entry.media != known.media).then(|| entry.media.clone()),
        address: (entry.target() != known.address).then(|| entry.target().to_string()),
        // `Some("")` takes SNMP away.
        snmp: differs(&entry.snmp, &known.snmp).then(|| entry.snmp.clone().unwrap_or_default()),
        snmp_community: differs(&entry.snmp_community, &known.snmp_community)
            .then(|| entry.snmp_community.clone().unwrap_or_default()),
        defaults: entry.defaults.filter(|d| *d != known.defaults),
        ..PrinterPatch::default()
    };
    (patch != PrinterPatch::default()).then_some(patch)
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
        // A client that closes its end is gone: end its request (an event
        // stream's slot is freed at once, not at the next heartbeat).
        .h1_allow_half_closed(false)
        .bind(config.listen)
        .with_context(|| format!("listen: cannot bind {}", config.listen))?
        // Our own handler: SIGINT stops as gracefully as SIGTERM (actix would cut
        // requests in flight on SIGINT: a submit stored but never answered).
        .disable_signals()
        // An open event stream never ends by itself: without a bound, a stop with the
        // web UI open would wait actix's 30 s (longer than `docker stop` waits).
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .run();
        log::info!("printhub listening on http://{}", config.listen);
        let handle = server.handle();
        let (ipp, dns_sd) = match &config.ipp {
            Some(entry) => {
                let (server, dns_sd) = start_ipp(&running, &config, entry).await?;
                (Some(server), dns_sd)
            }
            None => (None, None),
        };
        let ipp_handle = ipp.as_ref().map(|server| server.handle());
        let hub = running.hub.clone();
        actix_web::rt::spawn(async move {
            match stop_signal().await {
                Ok(name) => log::info!(
                    "{name} received: no new labels start; finishing the ones printing and the HTTP requests"
                ),
                Err(e) => log::error!("cannot listen for stop signals: {e}; stopping"),
            }
            // The engine stops starting jobs at once, while HTTP winds down.
            let ipp_stop = async {
                if let Some(ipp) = ipp_handle {
                    ipp.stop(true).await;
                }
            };
            let (drained, (), ()) = tokio::join!(hub.shutdown(), handle.stop(true), ipp_stop);
            if let Err(e) = drained {
                log::warn!("draining the printers: {e}");
            }
        });
        match ipp {
            Some(ipp) => {
                let (api, ipp) = tokio::join!(server, ipp);
                api.context("HTTP server")?;
                ipp.context("IPP server")?;
            }
            None => server.await.context("HTTP server")?,
        }
        if let Some(dns_sd) = dns_sd {
            dns_sd.stop().await;
        }
        log::info!("shutting down: letting labels in flight finish");
        running.hub.shutdown().await.context("drain")?;
        running.outbound.shutdown().await;
        Ok(())
    })
}

/// Starts the IPP Everywhere listener (`[ipp]`), prints each printer's IPP
/// URI, and announces the printers over DNS-SD when `dns_sd` is on.
async fn start_ipp(
    running: &Running,
    config: &Config,
    entry: &crate::config::IppEntry,
) -> anyhow::Result<(actix_web::dev::Server, Option<crate::dns_sd::DnsSd>)> {
    let listen = entry.listen;
    let service =
        crate::ipp_listener::IppService::new(running, listen, config.listen, config.body_limit);
    let authentication = service.authentication();
    let routes = service.configure();
    let server =
        actix_web::HttpServer::new(move || actix_web::App::new().configure(routes.clone()))
            .bind(listen)
            .with_context(|| format!("ipp.listen: cannot bind {listen}"))?
            .disable_signals()
            .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
            .run();
    log::info!("IPP Everywhere listening on ipp://{listen}");
    for uri in crate::ipp_listener::printer_uris(&running.hub, listen).await {
        eprintln!("printhub: IPP printer {uri}");
    }
    let dns_sd = if entry.dns_sd {
        if listen.ip().is_loopback() {
            log::warn!(
                "ipp.dns_sd: the IPP listener is on loopback ({listen}): only this machine \
                 sees the announcements"
            );
        }
        Some(crate::dns_sd::DnsSd::start(
            running.hub.clone(),
            crate::dns_sd::DnsSdConfig {
                ipp: listen,
                web: config.listen,
                authentication,
                mdns_port: crate::dns_sd::MDNS_PORT,
                rescan: crate::dns_sd::RESCAN,
            },
        )?)
    } else {
        None
    };
    Ok((server, dns_sd))
}
