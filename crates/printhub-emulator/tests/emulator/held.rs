//! One session at a time: a second connection is accepted by the kernel but
//! waits, unread and unanswered, until the first one closes.

use crate::support::*;
use printhub_raster::StatusType;
use std::io::Write;

#[test]
fn a_second_connection_waits_until_the_first_closes() {
    let emulator = start("PT-P750W", "tze-12");
    let mut first = send(&emulator, &Raw::start(100).status_request().0);
    assert_eq!(read_status(&mut first).status_type, StatusType::Reply);

    // The second client connects and sends; nothing is read or answered yet.
    let mut second = send(&emulator, &Raw::start(100).status_request().0);
    expect_silence(&mut second);
    second
        .write_all(&simple_job("PT-P750W", "tze-12"))
        .expect("send");
    expect_silence(&mut second);
    assert!(emulator.pages().is_empty());

    // The first session is still served meanwhile.
    first
        .write_all(&Raw::default().status_request().0)
        .expect("send");
    assert_eq!(read_status(&mut first).status_type, StatusType::Reply);

    drop(first);
    assert_eq!(read_status(&mut second).status_type, StatusType::Reply);
    expect_printed(&mut second);
    assert!(emulator.wait_for_pages(1, TIMEOUT));
    assert_eq!(emulator.pages()[0].meta.connection, 2);
}
