//! What one caller may cost (issue #15): [`Limits`] holds the process-wide
//! image gate, the preview and webhook rate limits and the request-body
//! deadline, shared by every worker as `web::Data<Limits>` (built once by
//! the composition root, like [`Auth`](crate::Auth)).
//!
//! **The image gate.** Decoding an image holds memory in proportion to its
//! pixels, so every render that decodes images (multipart uploads, inline
//! templates with `image` elements, previews of either) goes through
//! [`Limits::render`]: the label's size limits are checked first (cheap
//! counts, [`printhub_render::limits`]), then the images' headers are read
//! for what their decodes cost ([`RenderRequest::image_cost`]), then the
//! render waits for a decode slot (at most [`LimitsConfig::image_decodes`]
//! at once) and for its bytes out of the shared
//! [`LimitsConfig::image_memory`] budget. At most
//! [`LimitsConfig::image_queue`] requests wait; one more is 503
//! `overloaded` with `Retry-After`. An image whose decode alone needs more
//! than the whole budget is 422 `image_too_large`, naming the budget. The
//! slot and the bytes are held by the blocking render itself, so a client
//! that hangs up does not free them while the decode still runs. Renders
//! without images (text, QR, barcodes) do not pass the gate.
//!
//! **Rate limits.** Previews create nothing and are not counted against a
//! caller's mutation limit; they have their own,
//! [`LimitsConfig::preview_rate_limit_per_minute`] per caller (key, proxy
//! user, or anonymous address). Each webhook token has one too
//! ([`LimitsConfig::webhook_rate_limit_per_minute`], or the hook's own).
//! Over a limit: 429 `rate_limited` with `Retry-After`.
//!
//! **Body deadline.** Every request body the gateway reads (JSON,
//! multipart, webhook payloads) must arrive within
//! [`LimitsConfig::body_timeout`] of the handler starting to read it; a body
//! that trickles in slower is cut off with 408 `request_timeout` and
//! nothing is queued. (actix-web's own client request timeout covers the
//! request head only.)
//!
//! **Architecture Invariant:** nothing here is global except the fallback
//! used when an app has no `web::Data<Limits>`: one default gate for the
//! whole process, so an app that forgets the data is still bounded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::{web, HttpRequest};
use printhub_raster::{Label, Media, Model};
use printhub_render::{render, ImageCost, RenderRequest};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::auth::limit::Limiters;
use crate::auth::{Caller, Identity};
use crate::error::{ApiError, ErrorCode};

/// The limits' settings (the `[limits]` section of `printhub serve`).
#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// How long a request body may take to arrive once its handler reads it.
    pub body_timeout: Duration,
    /// Image decodes running at once, process-wide.
    pub image_decodes: usize,
    /// Memory all running image decodes may hold together, in bytes.
    pub image_memory: u64,
    /// Requests that may wait for the image gate; more are 503 `overloaded`.
    pub image_queue: usize,
    /// Previews a minute per caller.
    pub preview_rate_limit_per_minute: u32,
    /// Calls a minute per webhook token (a hook may set its own).
    pub webhook_rate_limit_per_minute: u32,
}

impl Default for LimitsConfig {
    /// Bodies within 30 s; 2 decodes at once within 256 MiB, 16 waiting;
    /// 300 previews a minute per caller; 600 calls a minute per webhook
    /// token (as for a key's mutations).
    fn default() -> Self {
        LimitsConfig {
            body_timeout: Duration::from_secs(30),
            image_decodes: 2,
            image_memory: 256 << 20,
            image_queue: 16,
            preview_rate_limit_per_minute: 300,
            webhook_rate_limit_per_minute: 600,
        }
    }
}

/// The budget is counted in KiB, so it fits the semaphore's `u32` permits.
const UNIT: u64 = 1024;

/// `Retry-After` of a 503 `overloaded`, in seconds.
const RETRY_AFTER: u64 = 2;

struct Inner {
    config: LimitsConfig,
    decodes: Arc<Semaphore>,
    memory: Arc<Semaphore>,
    memory_units: u32,
    waiting: AtomicUsize,
    running: AtomicUsize,
    limiters: Limiters,
}

/// The limits shared by every worker (cheap to clone).
#[derive(Clone)]
pub struct Limits {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("config", &self.inner.config)
            .field("decodes_running", &self.decodes_running())
            .field("decodes_waiting", &self.decodes_waiting())
            .finish_non_exhaustive()
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(LimitsConfig::default())
    }
}

/// A decode slot and its share of the memory budget; both are given back
/// when it is dropped.
pub struct DecodePermit {
    _slot: Option<OwnedSemaphorePermit>,
    _memory: Option<OwnedSemaphorePermit>,
    running: Option<Arc<Inner>>,
}

impl std::fmt::Debug for DecodePermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodePermit")
            .field("gated", &self.running.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for DecodePermit {
    fn drop(&mut self) {
        if let Some(inner) = &self.running {
            inner.running.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Counts a request as waiting for as long as it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Limits {
    /// Limits with `config` (at least one decode slot and one KiB of budget).
    pub fn new(config: LimitsConfig) -> Limits {
        let units = (config.image_memory / UNIT).clamp(1, u64::from(u32::MAX));
        let memory_units = u32::try_from(units).unwrap_or(u32::MAX);
        Limits {
            inner: Arc::new(Inner {
                decodes: Arc::new(Semaphore::new(config.image_decodes.max(1))),
                memory: Arc::new(Semaphore::new(memory_units as usize)),
                memory_units,
                waiting: AtomicUsize::new(0),
                running: AtomicUsize::new(0),
                limiters: Limiters::default(),
                config,
            }),
        }
    }

    /// The app's limits, or [`Limits::process_default`] when the app has none.
    pub fn of(req: &HttpRequest) -> Limits {
        match req.app_data::<web::Data<Limits>>() {
            Some(limits) => limits.get_ref().clone(),
            None => Limits::process_default(),
        }
    }

    /// One default [`Limits`] for the whole process: for apps without
    /// `web::Data<Limits>` and work that comes from no request (the
    /// Spoolman watcher's labels).
    pub fn process_default() -> Limits {
        static FALLBACK: OnceLock<Limits> = OnceLock::new();
        FALLBACK.get_or_init(Limits::default).clone()
    }

    /// The settings.
    pub fn config(&self) -> &LimitsConfig {
        &self.inner.config
    }

    /// Image decodes holding a slot now.
    pub fn decodes_running(&self) -> usize {
        self.inner.running.load(Ordering::Acquire)
    }

    /// Requests waiting for the image gate now.
    pub fn decodes_waiting(&self) -> usize {
        self.inner.waiting.load(Ordering::Acquire)
    }

    /// Takes a decode slot and `bytes` of the memory budget, waiting in
    /// line (first come, first served) when they are taken; 503
    /// `overloaded` when [`LimitsConfig::image_queue`] requests already
    /// wait; 422 `image_too_large` when `bytes` is more than the whole
    /// budget. The render holds the permit until it is done.
    pub async fn reserve_decode(&self, bytes: u64) -> Result<DecodePermit, ApiError> {
        let inner = &self.inner;
        let units = bytes.div_ceil(UNIT);
        if units > u64::from(inner.memory_units) {
            let mib = |b: u64| b.div_ceil(1 << 20);
            return Err(ApiError::new(
                ErrorCode::Unrenderable(printhub_render::RenderCode::ImageTooLarge),
                format!(
                    "decoding this image takes about {} MiB; the hub decodes images within {} MiB (limits.image_memory_mb)",
                    mib(bytes),
                    mib(inner.config.image_memory)
                ),
            )
            .with_detail(serde_json::json!({
                "bytes": bytes,
                "limit": inner.config.image_memory,
            })));
        }
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        let closed = |_| ApiError::new(ErrorCode::ShuttingDown, "the image gate is closed");
        let taken = Arc::clone(&inner.decodes)
            .try_acquire_owned()
            .ok()
            .and_then(|slot| {
                Arc::clone(&inner.memory)
                    .try_acquire_many_owned(units)
                    .ok()
                    .map(|memory| (slot, memory))
            });
        let (slot, memory) = match taken {
            Some(permits) => permits,
            None => {
                let before = inner.waiting.fetch_add(1, Ordering::AcqRel);
                let _waiting = Waiting(&inner.waiting);
                if before >= inner.config.image_queue {
                    return Err(ApiError::new(
                        ErrorCode::Overloaded,
                        format!(
                            "{} image renders are waiting already; try again shortly",
                            inner.config.image_queue
                        ),
                    )
                    .retry_after(RETRY_AFTER));
                }
                let slot = Arc::clone(&inner.decodes)
                    .acquire_owned()
                    .await
                    .map_err(closed)?;
                let memory = Arc::clone(&inner.memory)
                    .acquire_many_owned(units)
                    .await
                    .map_err(closed)?;
                (slot, memory)
            }
        };
        inner.running.fetch_add(1, Ordering::AcqRel);
        Ok(DecodePermit {
            _slot: Some(slot),
            _memory: Some(memory),
            running: Some(Arc::clone(inner)),
        })
    }

    /// The permit `cost` needs: none without images; else its total pixels
    /// are checked and [`Limits::reserve_decode`] is asked for its bytes.
    pub async fn reserve_images(&self, cost: ImageCost) -> Result<DecodePermit, ApiError> {
        if cost.images == 0 {
            return Ok(DecodePermit {
                _slot: None,
                _memory: None,
                running: None,
            });
        }
        cost.check_total()?;
        self.reserve_decode(cost.bytes).await
    }

    /// What decoding the images of `requests` costs (one after another),
    /// read from their headers off the worker thread; nothing when none has
    /// images.
    pub async fn image_cost(
        &self,
        requests: Vec<RenderRequest>,
    ) -> Result<(Vec<RenderRequest>, ImageCost), ApiError> {
        if !requests.iter().any(RenderRequest::has_images) {
            return Ok((requests, ImageCost::default()));
        }
        web::block(move || {
            let mut cost = ImageCost::default();
            for r in &requests {
                cost = cost.and(r.image_cost()?);
            }
            Ok::<_, ApiError>((requests, cost))
        })
        .await?
    }

    /// Renders `request` for `model` and `media` in `web::block`: size
    /// limits first, then the image gate when it decodes images (see the
    /// module doc).
    pub async fn render(
        &self,
        request: RenderRequest,
        model: &'static Model,
        media: &'static Media,
    ) -> Result<Label, ApiError> {
        request.check_limits()?;
        let (mut requests, cost) = self.image_cost(vec![request]).await?;
        let request = requests
            .pop()
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the render request went missing"))?;
        let permit = self.reserve_images(cost).await?;
        let label = web::block(move || {
            let label = render(&request, model, media);
            drop(permit);
            label
        })
        .await??;
        Ok(label)
    }

    /// Renders every request of a batch, one after another in one
    /// `web::block`, under one pass of the image gate (the memory of the
    /// largest decode, the pixels of all). A failure of one label stops it
    /// and names its index; a refusal of the whole batch (the gate, the
    /// pixels of all) names none.
    pub async fn render_batch(
        &self,
        requests: Vec<RenderRequest>,
        model: &'static Model,
        media: &'static Media,
    ) -> Result<Vec<Label>, ApiError> {
        for (i, r) in requests.iter().enumerate() {
            r.check_limits().map_err(|e| ApiError::from(e).at_item(i))?;
        }
        let (requests, cost) = if requests.iter().any(RenderRequest::has_images) {
            let (requests, cost) = web::block(move || {
                let cost =
                    requests
                        .iter()
                        .enumerate()
                        .try_fold(ImageCost::default(), |sum, (i, r)| {
                            r.image_cost()
                                .map(|c| sum.and(c))
                                .map_err(|e| ApiError::from(e).at_item(i))
                        });
                (requests, cost)
            })
            .await?;
            (requests, cost?)
        } else {
            (requests, ImageCost::default())
        };
        let permit = self.reserve_images(cost).await?;
        web::block(move || {
            let labels = requests
                .iter()
                .enumerate()
                .map(|(i, r)| render(r, model, media).map_err(|e| ApiError::from(e).at_item(i)))
                .collect::<Result<Vec<_>, _>>();
            drop(permit);
            labels
        })
        .await?
    }

    /// 429 `rate_limited` when `caller` has used up its previews for now.
    pub fn check_preview(&self, caller: &Caller) -> Result<(), ApiError> {
        let bucket = match &caller.identity {
            Identity::Anonymous => format!(
                "preview:anonymous:{}",
                caller.source.as_deref().unwrap_or("?")
            ),
            _ => format!("preview:{}", caller.actor()),
        };
        let per_minute = self.inner.config.preview_rate_limit_per_minute;
        self.check(&bucket, per_minute, "previews")
    }

    /// 429 `rate_limited` when the webhook `name` has used up its calls for
    /// now (`own`: the hook's limit, else the configured default).
    pub fn check_webhook(&self, name: &str, own: Option<u32>) -> Result<(), ApiError> {
        let per_minute = own.unwrap_or(self.inner.config.webhook_rate_limit_per_minute);
        self.check(&format!("webhook:{name}"), per_minute, "webhook calls")
    }

    fn check(&self, bucket: &str, per_minute: u32, what: &str) -> Result<(), ApiError> {
        self.inner
            .limiters
            .check(bucket, per_minute)
            .map(drop)
            .map_err(|state| {
                let secs = state.reset;
                state.onto(
                    ApiError::new(
                        ErrorCode::RateLimited,
                        format!(
                            "too many {what}: {per_minute} a minute allowed; retry in {secs} s"
                        ),
                    )
                    .with_detail(serde_json::json!({ "limit_per_minute": per_minute }))
                    .retry_after(secs.max(1)),
                )
            })
    }

    /// The deadline for reading a request body.
    pub fn body_timeout(&self) -> Duration {
        self.inner.config.body_timeout
    }
}

/// The app's [`Limits`] (see [`Limits::of`]), as a handler argument.
impl actix_web::FromRequest for Limits {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Limits, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(Limits::of(req)))
    }
}

/// 408 `request_timeout`: the body did not arrive within `deadline`.
pub(crate) fn body_timed_out(deadline: Duration) -> ApiError {
    ApiError::new(
        ErrorCode::RequestTimeout,
        format!(
            "the request body did not arrive within {} s",
            deadline.as_secs_f64()
        ),
    )
    .with_detail(serde_json::json!({ "timeout_ms": deadline.as_millis() as u64 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(decodes: usize, memory: u64, queue: usize) -> Limits {
        Limits::new(LimitsConfig {
            image_decodes: decodes,
            image_memory: memory,
            image_queue: queue,
            ..LimitsConfig::default()
        })
    }

    #[actix_web::test]
    async fn the_memory_budget_is_shared_and_given_back() {
        let limits = limits(4, 10 * UNIT, 0);
        let a = limits.reserve_decode(6 * UNIT).await.expect("fits");
        assert_eq!(limits.decodes_running(), 1);
        // 4 KiB left: 6 more do not fit, and nobody may wait.
        let err = limits.reserve_decode(6 * UNIT).await.expect_err("over");
        assert_eq!(err.code, ErrorCode::Overloaded);
        assert_eq!(err.retry_after, Some(RETRY_AFTER));
        let b = limits.reserve_decode(4 * UNIT).await.expect("the rest");
        drop(a);
        let c = limits.reserve_decode(6 * UNIT).await.expect("given back");
        drop((b, c));
        assert_eq!(limits.decodes_running(), 0);
        assert_eq!(limits.decodes_waiting(), 0);
    }

    #[actix_web::test]
    async fn more_than_the_whole_budget_names_it() {
        let limits = limits(1, 10 * UNIT, 4);
        let err = limits.reserve_decode(11 * UNIT).await.expect_err("never");
        assert_eq!(err.code.as_str(), "image_too_large");
        assert!(
            err.detail.contains("limits.image_memory_mb"),
            "{}",
            err.detail
        );
        assert_eq!(limits.decodes_waiting(), 0);
    }

    #[actix_web::test]
    async fn a_waiting_decode_runs_when_a_slot_frees() {
        let limits = limits(1, 10 * UNIT, 1);
        let first = limits.reserve_decode(UNIT).await.expect("first");
        let waiter = limits.clone();
        let second = actix_web::rt::spawn(async move { waiter.reserve_decode(UNIT).await });
        for _ in 0..100_000 {
            if limits.decodes_waiting() == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(limits.decodes_waiting(), 1, "the second never queued");
        // The queue holds one: a third is refused at once.
        let err = limits.reserve_decode(UNIT).await.expect_err("queue full");
        assert_eq!(err.code, ErrorCode::Overloaded);
        assert_eq!(limits.decodes_running(), 1);
        drop(first);
        let second = second.await.expect("task").expect("ran");
        assert_eq!((limits.decodes_running(), limits.decodes_waiting()), (1, 0));
        drop(second);
        assert_eq!(limits.decodes_running(), 0);
    }

    #[test]
    fn each_webhook_token_has_its_own_bucket() {
        let limits = Limits::new(LimitsConfig {
            webhook_rate_limit_per_minute: 1,
            ..LimitsConfig::default()
        });
        limits.check_webhook("freezer", None).expect("first call");
        let err = limits.check_webhook("freezer", None).expect_err("second");
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert!(err.retry_after.is_some_and(|s| s >= 1));
        limits.check_webhook("grocy", None).expect("another token");
        limits
            .check_webhook("busy", Some(2))
            .expect("its own limit");
        limits
            .check_webhook("busy", Some(2))
            .expect("its own limit, twice");
        assert!(limits.check_webhook("busy", Some(2)).is_err());
    }
}
