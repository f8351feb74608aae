//! DNS-SD announcements of the IPP printers (`[ipp] dns_sd = true`),
//! browsed over real multicast by a second `mdns_sd::ServiceDaemon` (the
//! same crate, as a phone's or CUPS's browser would): every printer is
//! found under `_ipp._tcp.local.` (and the `_print` subtype) with the TXT
//! record IPP Everywhere clients read; a printer added at runtime is
//! announced, a renamed one re-announced under its new name, a removed one
//! withdrawn, and stopping withdraws the rest.
//!
//! Both daemons use a free UDP port instead of 5353, so the test meets
//! neither a system responder nor a test running beside it; everything
//! else (the multicast group, the packets) is what `printhub serve` does.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mdns_sd::{ResolvedService, ServiceDaemon, ServiceEvent};
use printhub::config::{Config, PrinterEntry};
use printhub::dns_sd::{DnsSd, DnsSdConfig};
use printhub_actors::{PrinterConfig, PrinterPatch};
use printhub_emulator::{Emulator, EmulatorConfig};
use printhub_ipp::dnssd::{PRINT_SUBTYPE, SERVICE_TYPE};
use printhub_ipp::Authentication;

/// How long an announcement or a goodbye may take to arrive (probing
/// alone takes about a second).
const DEADLINE: Duration = Duration::from_secs(20);

/// A UDP port nothing uses now.
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.local_addr())
        .expect("udp port")
        .port()
}

/// A browse's events, kept until a wait takes them: announcements and
/// goodbyes may arrive in either order.
struct Browse {
    events: mdns_sd::Receiver<ServiceEvent>,
    seen: Vec<ServiceEvent>,
}

impl Browse {
    fn new(events: mdns_sd::Receiver<ServiceEvent>) -> Self {
        Browse {
            events,
            seen: Vec::new(),
        }
    }

    /// Waits (bounded) for an event `pick` accepts, seen before or after
    /// the call, and takes it.
    async fn wait_for<T>(&mut self, what: &str, pick: impl Fn(&ServiceEvent) -> Option<T>) -> T {
        let deadline = Instant::now() + DEADLINE;
        loop {
            self.seen.extend(self.events.try_iter());
            if let Some(at) = self.seen.iter().position(|e| pick(e).is_some()) {
                let event = self.seen.remove(at);
                return pick(&event).expect("picked");
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within {DEADLINE:?}; seen {:#?}",
                self.seen
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn resolved(event: &ServiceEvent, prefix: &str) -> Option<ResolvedService> {
    match event {
        ServiceEvent::ServiceResolved(r) if r.fullname.starts_with(prefix) => Some((**r).clone()),
        _ => None,
    }
}

fn removed(event: &ServiceEvent, fullname: &str) -> Option<()> {
    match event {
        ServiceEvent::ServiceRemoved(_, name) if name == fullname => Some(()),
        _ => None,
    }
}

fn txt<'a>(service: &'a ResolvedService, key: &str) -> Option<&'a str> {
    service.txt_properties.get_property_val_str(key)
}

#[actix_web::test]
async fn printers_are_announced_with_their_txt_record_and_followed_at_runtime() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let mut config = Config::demo(dir.path());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.emulators.clear();
    config.ipp = None;
    config.printers = vec![PrinterEntry {
        slug: "ql".into(),
        name: Some("Shipping".into()),
        model: "QL-820NWB".into(),
        media: "dk-62".into(),
        address: Some(emu.tcp_addr().to_string()),
        device: None,
        snmp: None,
        snmp_community: None,
        defaults: None,
    }];
    let running = printhub::serve::build(&config).await.expect("build");
    let ql_id = running.hub.printer("ql").await.expect("ql").id;

    let mdns_port = free_udp_port();
    let browser = ServiceDaemon::new_with_port(mdns_port).expect("browser");
    let mut all = Browse::new(browser.browse(SERVICE_TYPE).expect("browse"));
    let mut print = Browse::new(browser.browse(PRINT_SUBTYPE).expect("browse _print"));

    // The IPP listener's address: what the announcement points at.
    let ipp = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let ipp_addr: SocketAddr = ipp.local_addr().expect("addr");
    let dns_sd = DnsSd::start(
        running.hub.clone(),
        DnsSdConfig {
            ipp: ipp_addr,
            web: "127.0.0.1:8080".parse().expect("addr"),
            authentication: Authentication::None,
            mdns_port,
            rescan: Duration::from_millis(200),
        },
    )
    .expect("dns-sd");

    // Found under _ipp._tcp with every key IPP Everywhere clients read.
    let ql = all
        .wait_for("announcement of ql", |e| resolved(e, "Shipping (ql)."))
        .await;
    assert_eq!(ql.fullname, "Shipping (ql)._ipp._tcp.local.");
    assert_eq!(ql.port, ipp_addr.port());
    assert!(
        ql.addresses.iter().any(|a| a.to_ip_addr() == ipp_addr.ip()),
        "{:?}",
        ql.addresses
    );
    let expect = [
        ("txtvers", "1".to_string()),
        ("qtotal", "1".into()),
        ("rp", "ipp/print/ql".into()),
        ("ty", "Brother QL-820NWB".into()),
        ("product", "(QL-820NWB)".into()),
        (
            "pdl",
            "image/jpeg,image/png,image/pwg-raster,image/urf".into(),
        ),
        ("URF", "V1.4,W8,SRGB24,CP1,DM1,RS300".into()),
        ("UUID", ql_id.as_uuid().to_string()),
        ("Color", "F".into()),
        ("kind", "label".into()),
        ("adminurl", "http://127.0.0.1:8080/".into()),
        ("note", String::new()),
        ("priority", "50".into()),
        ("air", "none".into()),
    ];
    for (key, want) in &expect {
        assert_eq!(txt(&ql, key), Some(want.as_str()), "{key}: {ql:?}");
    }
    // `note=` is sent with its `=` (an empty value, not a bare key).
    assert_eq!(
        ql.txt_properties.get_property_val("note"),
        Some(Some(&b""[..]))
    );
    // And under the _print subtype.
    let sub = print
        .wait_for("ql under _print", |e| resolved(e, "Shipping (ql)."))
        .await;
    assert_eq!(sub.sub_ty_domain.as_deref(), Some(PRINT_SUBTYPE));

    // A printer added at runtime is announced.
    let pt_emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    running
        .hub
        .add_printer(PrinterConfig {
            id: None,
            slug: "pt".into(),
            name: "Cables".into(),
            model: "PT-P750W".into(),
            media: "tze-12".into(),
            address: pt_emu.tcp_addr().to_string(),
            enabled: true,
            snmp: None,
            snmp_community: None,
            paused: false,
            defaults: Default::default(),
        })
        .await
        .expect("add pt");
    let pt = all
        .wait_for("announcement of pt", |e| resolved(e, "Cables (pt)."))
        .await;
    assert_eq!(txt(&pt, "rp"), Some("ipp/print/pt"));
    assert_eq!(txt(&pt, "ty"), Some("Brother PT-P750W"));
    assert_eq!(txt(&pt, "kind"), Some("label"));

    // Renamed: the old name is withdrawn, the new one announced.
    running
        .hub
        .update_printer(
            "pt",
            PrinterPatch {
                name: Some("Cable tags".into()),
                ..PrinterPatch::default()
            },
        )
        .await
        .expect("rename");
    all.wait_for("goodbye of the old name", |e| removed(e, &pt.fullname))
        .await;
    let renamed = all
        .wait_for("the new name", |e| resolved(e, "Cable tags (pt)."))
        .await;
    assert_eq!(txt(&renamed, "rp"), Some("ipp/print/pt"));

    // Removed: withdrawn.
    running.hub.remove_printer("pt").await.expect("remove");
    all.wait_for("goodbye of pt", |e| removed(e, &renamed.fullname))
        .await;

    // Stopping withdraws the rest.
    dns_sd.stop().await;
    all.wait_for("goodbye of ql", |e| removed(e, &ql.fullname))
        .await;

    let _ = browser.shutdown();
    running.hub.shutdown().await.expect("shutdown");
}
