//! `POST /api/hooks/<sender>[/<token>]` (and ACR's `/api/azurehook`): parse the delivery with
//! the sender's parser, check who sent it, record each event.

use super::{body, json_bytes, App};
use crate::auth;
use crate::error::Error;
use crate::event::Event;
use crate::http::{Request, Response};
use crate::store::Store;
use crate::tracking::state::Outcome;
use crate::tracking::Recorded;
use crate::webhook::{Parsed, Payload, Sender};

impl<S: Store> App<'_, S> {
    pub(super) fn hook(
        &self,
        request: &Request,
        sender: &Sender,
        path_token: Option<&str>,
    ) -> Result<Response, Error> {
        let payload = Payload {
            body: json_bytes(request)?,
            headers: &request.headers,
        };
        let parsed = (sender.parse)(payload)?;
        let verified = auth::verify(self.config, sender, request, path_token);
        let events = match parsed {
            // A ping changes nothing; it answers whether the wiring (the secret) is right.
            Parsed::Ping => {
                return Ok(Response::json(
                    200,
                    &body::Pong {
                        action: "ping",
                        authenticated: verified.is_ok(),
                        outcome: "pong",
                    },
                ))
            }
            Parsed::Ignored(reason) => {
                verified?;
                return Ok(Response::json(
                    200,
                    &body::Ignored {
                        outcome: "ignored",
                        reason: &reason,
                        sender: sender.name,
                    },
                ));
            }
            Parsed::Events(events) => {
                verified?;
                events
            }
        };
        // Docker Hub and Quay send no digest: the registry itself fills it in, after the answer.
        for work in super::reconcile::verify_after_hook(self.config, &events) {
            self.defer(work);
        }
        let mut answers = Vec::with_capacity(events.len());
        for event in events {
            answers.push(self.record(event)?);
        }
        match (sender.batches, answers.pop()) {
            (false, Some(one)) if answers.is_empty() => Ok(Response::json(200, &one)),
            (_, last) => {
                answers.extend(last);
                Ok(Response::json(200, &body::Batch { events: answers }))
            }
        }
    }

    /// Records one event and says what it did.
    pub(super) fn record(&self, event: Event) -> Result<body::RecordedAnswer, Error> {
        let host = event.host.clone().unwrap_or_default();
        let repository = event.repository.clone();
        let action = event.action.clone();
        let stored = action.publishes().then(|| event.tag.clone()).flatten();
        let Recorded {
            outcome,
            seq,
            latest,
        } = self.tracker().record(event)?;
        let (outcome, reason, withdrawn) = match &outcome {
            None => (
                "duplicate",
                Some("this event id was already recorded"),
                None,
            ),
            Some(Outcome::Tracked) => ("recorded", None, None),
            Some(Outcome::Pending) => ("pending", None, None),
            Some(Outcome::Withdrew(n)) => ("withdrawn", None, Some(*n)),
            Some(Outcome::Ignored(why)) => ("ignored", Some(*why), None),
            Some(Outcome::Reconciled) => ("reconciled", None, None),
        };
        Ok(body::RecordedAnswer {
            action,
            latest: body::RefRecord::of(&host, &repository, &latest).map(|r| r.sorted()),
            outcome,
            reason,
            repository,
            seq,
            stored: stored.map(|tag| body::Stored { tag }),
            withdrawn_tags: withdrawn,
        })
    }
}
