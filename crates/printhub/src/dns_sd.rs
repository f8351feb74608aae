//! DNS-SD (Bonjour) announcements of the IPP printers (`[ipp] dns_sd =
//! true`): every hub printer is announced as `_ipp._tcp` with the `_print`
//! subtype and the TXT record of [`printhub_ipp::dnssd`], so phones and
//! computers list it by themselves. Owns one `mdns_sd::ServiceDaemon` (its
//! own thread; multicast on UDP 5353) and one task on the actix runtime
//! that follows the registry:
//!
//! ```text
//! start ──► list_printers ──► announce each
//!              ▲
//!   every RESCAN, an event naming a printer not announced yet,
//!   or missed events ──► list again ──► announce new or changed,
//!                                       withdraw removed (goodbye)
//! stop (or the handle dropped) ──► withdraw every printer ──► daemon shut down
//! ```
//!
//! A printer's address is the IPP listener's: on a specific address it is
//! announced with that address on that address's interface only (so a
//! loopback listener is seen by this machine only); on `0.0.0.0`/`::` on
//! every interface with each interface's addresses.
//!
//! Each announcement has a host name of its own, `HOST-SLUG-XXXXXXXX.local.`
//! (the suffix a hash of what is announced), not the machine's one name:
//! `mdns_sd`'s goodbye for a withdrawn service also zeroes its host's
//! address records, so with one shared host name, removing or renaming one
//! printer would make browsers forget the address of every other printer
//! (and of the renamed printer's new announcement, since the goodbye is sent
//! again a second later).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::anyhow;
use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};
use printhub_actors::{EventItem, HubHandle};
use printhub_core::PrinterId;
use printhub_ipp::dnssd::{instance_name, txt_record, Advertised, PRINT_SUBTYPE};
use printhub_ipp::Authentication;
use printhub_raster::model::Model;
use tokio::sync::oneshot;

/// How often the printers are read again, so removed printers are
/// withdrawn and renamed ones announced under their new name.
pub const RESCAN: Duration = Duration::from_secs(10);

/// The mDNS port (RFC 6762); tests pass another so they meet no other
/// responder.
pub const MDNS_PORT: u16 = 5353;

/// How long stopping waits for the daemon to send its goodbyes.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// What the announcements say and how often they are checked.
#[derive(Debug, Clone)]
pub struct DnsSdConfig {
    /// The IPP listener (the announced address and port).
    pub ipp: SocketAddr,
    /// The web UI's address (`adminurl`).
    pub web: SocketAddr,
    /// How clients authenticate on the IPP listener (`air`).
    pub authentication: Authentication,
    /// The UDP port of mDNS ([`MDNS_PORT`]).
    pub mdns_port: u16,
    /// How often the printers are read again ([`RESCAN`]).
    pub rescan: Duration,
}

/// The running announcer. [`DnsSd::stop`] (or dropping it) withdraws
/// every printer.
#[derive(Debug)]
pub struct DnsSd {
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl DnsSd {
    /// Starts the mDNS responder and announces the hub's printers; must be
    /// called on the actix (tokio) runtime.
    pub fn start(hub: HubHandle, config: DnsSdConfig) -> anyhow::Result<DnsSd> {
        let daemon = ServiceDaemon::new_with_port(config.mdns_port)
            .map_err(|e| anyhow!("ipp.dns_sd: cannot start the mDNS responder: {e}"))?;
        let host = host_name();
        let announcer = Announcer {
            admin_url: admin_url(config.web, &host),
            daemon,
            host,
            config,
            announced: HashMap::new(),
        };
        let (stop, stopped) = oneshot::channel();
        let task = actix_web::rt::spawn(announcer.run(hub, stopped));
        Ok(DnsSd {
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// Withdraws every printer and stops the responder (bounded).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            if let Err(e) = task.await {
                log::warn!("dns-sd: the announcer ended badly: {e}");
            }
        }
    }
}

/// One printer as announced.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Announced {
    instance: String,
    txt: Vec<(&'static str, String)>,
    /// The full service name the daemon knows it by.
    fullname: String,
}

struct Announcer {
    daemon: ServiceDaemon,
    /// This machine's name: `HOST.local.`
    host: String,
    admin_url: String,
    config: DnsSdConfig,
    announced: HashMap<PrinterId, Announced>,
}

impl Announcer {
    async fn run(mut self, hub: HubHandle, mut stop: oneshot::Receiver<()>) {
        let mut events = hub.subscribe();
        let mut tick = tokio::time::interval(self.config.rescan);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                // Stopped, or the handle dropped.
                _ = &mut stop => break,
                item = events.next() => match item {
                    Some(EventItem::Event(event)) => {
                        if !self.announced.contains_key(&event.printer_id()) {
                            self.rescan(&hub).await;
                        }
                    }
                    Some(EventItem::Missed(_)) => self.rescan(&hub).await,
                    None => break,
                },
                // The first tick is at once: the announcements at start.
                _ = tick.tick() => self.rescan(&hub).await,
            }
        }
        self.shut_down().await;
    }

    /// Reads the printers and brings the announcements in line: withdraws
    /// removed and changed printers, announces new and changed ones.
    async fn rescan(&mut self, hub: &HubHandle) {
        let printers = match hub.list_printers().await {
            Ok(printers) => printers,
            Err(e) => {
                log::warn!("dns-sd: cannot list the printers: {e}");
                return;
            }
        };
        let mut wanted = HashMap::new();
        for printer in &printers {
            let Some(model) = Model::by_name(&printer.model) else {
                log::warn!(
                    "dns-sd: {} has an unknown model {}; not announced",
                    printer.slug,
                    printer.model
                );
                continue;
            };
            let txt = txt_record(&Advertised {
                slug: &printer.slug,
                name: &printer.name,
                model,
                uuid: *printer.id.as_uuid(),
                admin_url: &self.admin_url,
                authentication: self.config.authentication,
            });
            wanted.insert(
                printer.id,
                (
                    printer.slug.as_str(),
                    instance_name(&printer.slug, &printer.name),
                    txt,
                ),
            );
        }
        let stale: Vec<PrinterId> = self
            .announced
            .iter()
            .filter(|(id, a)| {
                wanted
                    .get(*id)
                    .is_none_or(|(_, instance, txt)| *instance != a.instance || *txt != a.txt)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some(gone) = self.announced.remove(&id) {
                self.withdraw(&gone);
            }
        }
        for (id, (slug, instance, txt)) in wanted {
            if self.announced.contains_key(&id) {
                continue;
            }
            match self.announce(slug, &instance, &txt) {
                Ok(fullname) => {
                    self.announced.insert(
                        id,
                        Announced {
                            instance,
                            txt,
                            fullname,
                        },
                    );
                }
                Err(e) => log::warn!("dns-sd: cannot announce {instance:?}: {e}"),
            }
        }
    }

    /// Registers printer `slug` with the daemon; its full service name.
    fn announce(
        &self,
        slug: &str,
        instance: &str,
        txt: &[(&'static str, String)],
    ) -> Result<String, mdns_sd::Error> {
        let properties: Vec<(&str, &str)> = txt.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let ip = self.config.ipp.ip();
        let port = self.config.ipp.port();
        let host = announcement_host(&self.host, slug, instance, txt);
        let info = if ip.is_unspecified() {
            ServiceInfo::new(PRINT_SUBTYPE, instance, &host, (), port, &properties[..])?
                .enable_addr_auto()
        } else {
            let mut info =
                ServiceInfo::new(PRINT_SUBTYPE, instance, &host, ip, port, &properties[..])?;
            info.set_interfaces(vec![IfKind::Addr(ip)]);
            info
        };
        let fullname = info.get_fullname().to_string();
        self.daemon.register(info)?;
        log::info!(
            "dns-sd: announcing {fullname} (ipp://{}/ipp/print/{slug})",
            self.config.ipp
        );
        Ok(fullname)
    }

    /// Unregisters one printer (the daemon sends its goodbye).
    fn withdraw(&self, announced: &Announced) {
        log::info!("dns-sd: withdrawing {}", announced.fullname);
        if let Err(e) = self.daemon.unregister(&announced.fullname) {
            log::warn!("dns-sd: cannot withdraw {}: {e}", announced.fullname);
        }
    }

    /// Withdraws everything, then stops the daemon and waits (bounded) for
    /// it to have sent the goodbyes.
    async fn shut_down(mut self) {
        for (_, announced) in std::mem::take(&mut self.announced) {
            self.withdraw(&announced);
        }
        match self.daemon.shutdown() {
            Ok(done) => {
                let waited =
                    actix_web::rt::task::spawn_blocking(move || done.recv_timeout(STOP_WAIT)).await;
                if !matches!(waited, Ok(Ok(_))) {
                    log::warn!("dns-sd: the mDNS responder did not confirm its stop");
                }
            }
            Err(e) => log::warn!("dns-sd: cannot stop the mDNS responder: {e}"),
        }
    }
}

/// `HOST.local.`: this machine's name as one DNS label (characters other
/// than letters, digits and `-` become `-`), `printhub` when it has none.
fn host_name() -> String {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    host_label(&raw)
}

fn host_label(raw: &str) -> String {
    let first = raw.trim().split('.').next().unwrap_or_default();
    let label: String = first
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(63)
        .collect();
    let label = label.trim_matches('-');
    format!(
        "{}.local.",
        if label.is_empty() { "printhub" } else { label }
    )
}

/// The host name of one announcement: the machine's name, the slug and
/// a hash (FNV-1a) of the instance name and TXT record, as one DNS label
/// of at most 63 bytes. A changed announcement gets a new host name, so the
/// goodbye of the old one never takes an address another still uses.
fn announcement_host(host: &str, slug: &str, instance: &str, txt: &[(&str, String)]) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    let parts = [instance.as_bytes()]
        .into_iter()
        .chain(txt.iter().flat_map(|(k, v)| [k.as_bytes(), v.as_bytes()]));
    for part in parts {
        for &byte in part.iter().chain([&0u8]) {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    let machine = host.trim_end_matches(".local.");
    let mut base: String = format!("{machine}-{slug}");
    // ASCII only (host_label and slugs are), so any byte is a boundary.
    base.truncate(63 - 9);
    format!("{}-{hash:08x}.local.", base.trim_end_matches('-'))
}

/// The web UI's address for `adminurl`: the listen address, or this
/// machine's `.local` name when it listens on every address.
fn admin_url(web: SocketAddr, host: &str) -> String {
    if web.ip().is_unspecified() {
        format!("http://{}:{}/", host.trim_end_matches('.'), web.port())
    } else {
        format!("http://{web}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_become_one_local_label() {
        assert_eq!(host_label("labels\n"), "labels.local.");
        assert_eq!(host_label("shop.example.com"), "shop.local.");
        assert_eq!(host_label("my_box"), "my-box.local.");
        assert_eq!(host_label(""), "printhub.local.");
        assert_eq!(host_label("___"), "printhub.local.");
    }

    #[test]
    fn each_announcement_has_its_own_host_name() {
        let txt = vec![("rp", "ipp/print/ql".to_string())];
        let a = announcement_host("labels.local.", "ql", "Shipping (ql)", &txt);
        assert!(a.starts_with("labels-ql-") && a.ends_with(".local."), "{a}");
        assert_eq!(
            a,
            announcement_host("labels.local.", "ql", "Shipping (ql)", &txt)
        );
        // Renamed, or another TXT record: another host name.
        assert_ne!(
            a,
            announcement_host("labels.local.", "ql", "Boxes (ql)", &txt)
        );
        let other = vec![("rp", "ipp/print/ql".to_string()), ("ty", "x".to_string())];
        assert_ne!(
            a,
            announcement_host("labels.local.", "ql", "Shipping (ql)", &other)
        );
        // One label, however long the names.
        let long = announcement_host(&host_label(&"h".repeat(80)), &"s".repeat(64), "x", &txt);
        assert!(long.trim_end_matches(".local.").len() <= 63, "{long}");
        assert!(!long.trim_end_matches(".local.").contains('.'));
    }

    #[test]
    fn the_admin_url_is_reachable_from_elsewhere() {
        let any = "0.0.0.0:8080".parse().expect("addr");
        assert_eq!(admin_url(any, "labels.local."), "http://labels.local:8080/");
        let one = "192.0.2.7:8080".parse().expect("addr");
        assert_eq!(admin_url(one, "labels.local."), "http://192.0.2.7:8080/");
    }
}
