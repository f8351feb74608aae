//! Render → engine → TCP → emulator: a rendered label prints exactly as
//! rendered, on a PT tape and on a QL roll.

use printhub_actors::{EventItem, Hub, HubConfig, MemoryStore, PrintRequest, PrinterConfig};
use printhub_core::{Event, JobState};
use printhub_emulator::{Emulator, EmulatorConfig};
use printhub_raster::{Media, Model};
use printhub_render::{render, ContentType, LabelData, RenderRequest};
use std::sync::Arc;

fn data() -> LabelData {
    LabelData {
        title: Some("Workshop".into()),
        primary_id: Some("A01".into()),
        qr_payload: Some("https://example.invalid/asset/A01".into()),
        secondary: vec!["Zone 2".into()],
        ..LabelData::default()
    }
}

#[actix::test]
async fn rendered_labels_print_bit_for_bit() {
    for (model, media) in [
        ("PT-P750W", "tze-12"),
        ("QL-820NWB", "dk-62"),
        ("QL-820NWB", "dk-29x90"),
    ] {
        let emu = Emulator::start(EmulatorConfig::new(model, media)).expect("emulator");
        let hub = Hub::start(HubConfig::default(), Arc::new(MemoryStore::default()));
        hub.add_printer(PrinterConfig {
            id: None,
            slug: "p".into(),
            name: model.into(),
            model: model.into(),
            media: media.into(),
            address: emu.tcp_addr().to_string(),
            enabled: true,
            snmp: None,
            snmp_community: None,
            paused: false,
            defaults: Default::default(),
        })
        .await
        .expect("printer");
        let request = RenderRequest::content_type(ContentType::QrThreeLines, data());
        let label = render(
            &request,
            Model::by_name(model).expect("model"),
            Media::by_id(media).expect("media"),
        )
        .expect("renders");
        let mut events = hub.subscribe();
        let job = hub
            .submit("p", PrintRequest::new(label.clone()).copies(2))
            .await
            .expect("submitted");
        loop {
            if let EventItem::Event(Event::JobStateChanged(e)) =
                events.next().await.expect("running")
            {
                if e.job_id == job.id && e.to.is_terminal() {
                    assert_eq!(e.to, JobState::Completed, "{model} {media}");
                    break;
                }
            }
        }
        let pages = emu.pages();
        assert_eq!(pages.len(), 2, "{model} {media}: every copy prints");
        for page in pages {
            assert_eq!(
                page.black, label.black,
                "{model} {media}: printed as rendered"
            );
        }
        hub.shutdown().await.expect("shutdown");
    }
}
