//! Delivering the outbox: every new PW dienstverband tells intake, which
//! gives the candidate's open registration the outcome "Dvb IBN" as of the
//! contract's start. Messages are written with the contract, in the same
//! transaction, and delivered until intake answers; intake applies each
//! once, so delivering twice (after a crash between call and mark) is safe.

use std::time::Duration;

use partnership_platform::{CancellationToken, ServiceError, dates, peer};
use partnership_proto::intake as ipb;

use crate::Employment;
use crate::push::outcome_request_id;
use crate::store;

/// The longest wait between attempts while intake is unreachable.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Delivers until `shutdown`: right after a push, every `interval`, and
/// backing off (doubling, up to MAX_BACKOFF) while intake is unreachable.
pub async fn deliver_until(employment: Employment, interval: Duration, shutdown: CancellationToken) {
    let mut wait = interval;
    let backlog = partnership_platform::metrics::meter()
        .u64_gauge("partnership.outbox.pending")
        .with_description("outbox messages not yet delivered to intake")
        .build();
    loop {
        match deliver_pending(&employment).await {
            Ok(true) => wait = interval,
            Ok(false) => wait = (wait * 2).min(MAX_BACKOFF),
            Err(err) => {
                tracing::warn!(error = %err, "outbox delivery failed");
                wait = (wait * 2).min(MAX_BACKOFF);
            }
        }
        if let Ok(mut conn) = employment.db.pool().acquire().await {
            if let Ok((_, pending)) = store::outbox_counts(&mut conn).await {
                backlog.record(pending, &[]);
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = employment.outbox_wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Delivers what is due. Ok(false) if intake could not be reached.
pub async fn deliver_pending(employment: &Employment) -> Result<bool, ServiceError> {
    loop {
        let due = {
            let mut conn = employment.db.pool().acquire().await?;
            store::pending_outbox(&mut conn, dates::today(), 100).await?
        };
        if due.is_empty() {
            return Ok(true);
        }
        for message in due {
            let request = ipb::RecordEmploymentOutcomeRequest {
                request_id: outcome_request_id(&message.hr_contract_id),
                candidate_id: message.candidate_id.clone(),
                effective_date: Some(dates::to_proto(message.effective_date)),
            };
            let answer = employment
                .intake
                .clone()
                .record_employment_outcome(peer::request(request, peer::DEFAULT_DEADLINE))
                .await;
            let mut tx = employment.db.begin_write().await?;
            let now = crate::now();
            match answer {
                Ok(answer) => {
                    let answer = answer.into_inner();
                    let result = if answer.applied {
                        format!("applied to registration {}", answer.registration_id)
                    } else {
                        format!("not applied: {}", answer.detail)
                    };
                    store::mark_delivered(tx.conn(), &message.id, &result, &now).await?;
                }
                Err(status) if peer::is_transient(&status) => {
                    store::mark_failed_attempt(tx.conn(), &message.id, status.message()).await?;
                    tx.commit().await?;
                    tracing::info!(attempts = message.attempts + 1, "intake unreachable; outbox delivery postponed");
                    return Ok(false);
                }
                Err(status) => {
                    // Refused for good (e.g. an unknown candidate): keep it,
                    // marked, for people to look at; retrying cannot help.
                    let result = format!("refused: {:?}: {}", status.code(), status.message());
                    tracing::warn!(message = %message.id, %result, "outbox message refused by intake");
                    store::mark_delivered(tx.conn(), &message.id, &result, &now).await?;
                }
            }
            tx.commit().await?;
        }
    }
}
