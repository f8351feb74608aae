//! Event fan-out: printer actors publish [`Published`] to a
//! `Recipient<Published>` (the supervisor), which forwards every event into
//! a bounded broadcast channel. Subscribers get an [`EventStream`]. A slow
//! subscriber loses the oldest events and is told how many
//! ([`EventItem::Missed`]); publishing never waits for anybody.

use actix::Message;
use printhub_core::Event;
use tokio::sync::broadcast;

/// An event a printer actor publishes (fire-and-forget).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Published(pub Event);

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventItem {
    /// The next event.
    Event(Event),
    /// This many events were dropped because the subscriber fell behind.
    Missed(u64),
}

/// A subscription to the hub's events.
#[derive(Debug)]
pub struct EventStream {
    rx: broadcast::Receiver<Event>,
}

impl EventStream {
    pub(crate) fn new(rx: broadcast::Receiver<Event>) -> Self {
        EventStream { rx }
    }

    /// The next item; `None` once the hub has shut down.
    pub async fn next(&mut self) -> Option<EventItem> {
        match self.rx.recv().await {
            Ok(event) => Some(EventItem::Event(event)),
            Err(broadcast::error::RecvError::Lagged(n)) => Some(EventItem::Missed(n)),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// The next item if one is waiting now, without waiting; `None` when
    /// none is (or the hub has shut down). What drains a burst in one go.
    pub fn try_next(&mut self) -> Option<EventItem> {
        match self.rx.try_recv() {
            Ok(event) => Some(EventItem::Event(event)),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Some(EventItem::Missed(n)),
            Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed) => {
                None
            }
        }
    }
}
