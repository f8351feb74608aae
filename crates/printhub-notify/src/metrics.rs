//! Prometheus series of notifications, per target name (bounded by the
//! configuration). The composition root registers
//! [`NotifyMetrics::collectors`] in the `/metrics` registry.

use prometheus::core::Collector;
use prometheus::{IntCounter, IntCounterVec, Opts};

/// Cheap to clone; every clone counts into the same series.
#[derive(Debug, Clone)]
pub struct NotifyMetrics {
    sent: IntCounterVec,
    failed: IntCounterVec,
    dropped: IntCounterVec,
    missed: IntCounter,
}

impl NotifyMetrics {
    /// Fresh series (not registered anywhere yet).
    pub fn new() -> Result<NotifyMetrics, prometheus::Error> {
        let vec = |name: &str, help: &str| IntCounterVec::new(Opts::new(name, help), &["target"]);
        Ok(NotifyMetrics {
            sent: vec(
                "printhub_notifications_sent_total",
                "Notifications delivered (answered 2xx), by target.",
            )?,
            failed: vec(
                "printhub_notifications_failed_total",
                "Delivery attempts that failed (error, timeout or non-2xx) and will be retried, by target.",
            )?,
            dropped: vec(
                "printhub_notifications_dropped_total",
                "Notifications given up (undelivered for a day, or the outbox was full), by target.",
            )?,
            missed: IntCounter::new(
                "printhub_notifications_missed_events_total",
                "Engine events the notifier fell too far behind to see.",
            )?,
        })
    }

    /// The collectors to register.
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.sent.clone()),
            Box::new(self.failed.clone()),
            Box::new(self.dropped.clone()),
            Box::new(self.missed.clone()),
        ]
    }

    pub(crate) fn sent(&self, target: &str) {
        self.sent.with_label_values(&[target]).inc();
    }

    pub(crate) fn failed(&self, target: &str) {
        self.failed.with_label_values(&[target]).inc();
    }

    pub(crate) fn dropped(&self, target: &str) {
        self.dropped.with_label_values(&[target]).inc();
    }

    pub(crate) fn missed(&self, n: u64) {
        self.missed.inc_by(n);
    }

    /// Delivered so far to `target`.
    pub fn sent_count(&self, target: &str) -> u64 {
        self.sent.with_label_values(&[target]).get()
    }

    /// Failed attempts so far for `target`.
    pub fn failed_count(&self, target: &str) -> u64 {
        self.failed.with_label_values(&[target]).get()
    }
}
