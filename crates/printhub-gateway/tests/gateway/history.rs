//! Job history is read from the store (issue #25): `GET /api/jobs` pages
//! through every job the store keeps, past the newest 1,000 finished jobs a
//! printer holds in memory, and `GET /api/jobs/{id}` finds the old ones.

use crate::support::*;
use actix_http::Request;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{call_service, TestRequest};
use printhub_store::{Store, StoreConfig};
use serde_json::Value;
use std::sync::Arc;

/// Jobs submitted: three times what a printer remembers.
const JOBS: usize = 3_000;
/// Items per batch (the largest batch the API takes).
const BATCH: usize = 500;
/// The largest page `GET /api/jobs` answers.
const PAGE: usize = 500;

async fn get<S>(app: &S, uri: &str) -> Value
where
    S: Service<Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let req = TestRequest::get().uri(uri).to_request();
    let (status, _, body) = parts(call_service(app, req).await).await;
    assert_eq!(status, 200, "{uri}: {body}");
    body
}

fn ids(page: &Value) -> Vec<String> {
    page["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["id"].as_str().expect("id").to_string())
        .collect()
}

#[actix::test]
async fn three_thousand_jobs_page_through_from_the_store() {
    let store = Store::open_in_memory(StoreConfig::default()).expect("store");
    let (hub, _) = hub_on(Arc::new(store)).await;
    let app = app!(hub);

    // Submission order; batches one after the other, each printed before
    // the next (a queue holds at most 1,000 jobs).
    let mut submitted: Vec<String> = Vec::new();
    let mut batches: Vec<String> = Vec::new();
    for b in 0..JOBS / BATCH {
        let items: Vec<Value> = (0..BATCH)
            .map(|i| text_job(&format!("H-{}", b * BATCH + i)))
            .collect();
        let body = post_batch(&app, "pt", items).await;
        let batch = body["batch_id"].as_str().expect("batch id").to_string();
        submitted.extend(
            body["job_ids"]
                .as_array()
                .expect("job ids")
                .iter()
                .map(|id| id.as_str().expect("id").to_string()),
        );
        let deadline = std::time::Instant::now() + DEADLINE;
        while get(&app, &format!("/api/batches/{batch}")).await["all_terminal"] != true {
            assert!(
                std::time::Instant::now() < deadline,
                "batch {b} never printed"
            );
            pause().await;
        }
        batches.push(batch);
    }
    assert_eq!(submitted.len(), JOBS);
    // The printer holds only its newest finished jobs in memory.
    let live = hub.live_jobs().await.expect("live jobs").len();
    assert!(live < JOBS, "the printer holds {live} jobs");

    // Every job, newest first, page by page, each page with the total.
    let mut listed: Vec<String> = Vec::new();
    let mut offset = 0;
    loop {
        let page = get(&app, &format!("/api/jobs?limit={PAGE}&offset={offset}")).await;
        assert_eq!(page["total"], JOBS, "offset {offset}");
        assert_eq!(
            (page["limit"].as_u64(), page["offset"].as_u64()),
            (Some(PAGE as u64), Some(offset as u64))
        );
        let got = ids(&page);
        if got.is_empty() {
            break;
        }
        assert!(got.len() <= PAGE);
        assert!(
            page["jobs"]
                .as_array()
                .expect("jobs")
                .iter()
                .all(|j| j["state"] == "completed"),
            "offset {offset}"
        );
        offset += got.len();
        listed.extend(got);
    }
    let newest_first: Vec<String> = submitted.iter().rev().cloned().collect();
    assert_eq!(listed, newest_first, "every job once, newest first");

    // The filters apply in the store, and the total is the filter's.
    let page = get(&app, "/api/jobs?printer=pt&state=completed&limit=1").await;
    assert_eq!(
        (page["total"].as_u64(), ids(&page)),
        (Some(JOBS as u64), vec![newest_first[0].clone()])
    );
    let page = get(&app, "/api/jobs?state=queued").await;
    assert_eq!((page["total"].as_u64(), ids(&page).len()), (Some(0), 0));
    let first_batch = get(
        &app,
        &format!("/api/jobs?batch={}&limit={PAGE}", batches[0]),
    )
    .await;
    assert_eq!(first_batch["total"], BATCH);
    let mut in_batch = ids(&first_batch);
    in_batch.reverse();
    assert_eq!(in_batch, submitted[..BATCH]);
    let page = get(&app, "/api/jobs?since=2999-01-01T00:00:00Z").await;
    assert_eq!(page["total"], 0);
    // The last page is short.
    let page = get(
        &app,
        &format!("/api/jobs?limit={PAGE}&offset={}", JOBS - 10),
    )
    .await;
    assert_eq!(ids(&page), newest_first[JOBS - 10..]);

    // The oldest job, long gone from the printer's memory, is still there.
    let oldest = get(&app, &format!("/api/jobs/{}", submitted[0])).await;
    assert_eq!(
        (oldest["id"].as_str(), oldest["state"].as_str()),
        (Some(submitted[0].as_str()), Some("completed"))
    );
    // So is a batch made only of old jobs.
    let batch = get(&app, &format!("/api/batches/{}", batches[0])).await;
    assert_eq!(
        (
            batch["total"].as_u64(),
            batch["summary"]["completed"].as_u64()
        ),
        (Some(BATCH as u64), Some(BATCH as u64))
    );
    // An unknown job and an unknown printer are still 404.
    let missing = uuid::Uuid::new_v4();
    let req = TestRequest::get()
        .uri(&format!("/api/jobs/{missing}"))
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        404,
        "job_not_found",
    );
    let req = TestRequest::get()
        .uri("/api/jobs?printer=nope")
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        404,
        "printer_not_found",
    );
}
