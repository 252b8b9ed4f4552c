//! The proof that concurrent requests lose nothing: each request runs on its own thread
//! against one in-memory store, and a scheduler decides which request's next store operation
//! runs, one operation at a time (each is atomic in Redis too). Small cases enumerate every
//! interleaving; larger ones use a seeded random scheduler over many runs.
//!
//! After every schedule: the badge equals a reference model (all events folded in delivery
//! order), history holds every event exactly once, and each request, right after its own
//! write, reads a latest at least as high as what it pushed (no lost update, no regression).

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use ociref::http::Request;
use ociref::store::{MemoryStore, Store, StoreError};
use ociref::timestamp::Timestamp;
use ociref::tracking::policy::{version_of, Order, Selection};
use ociref::tracking::state::RepoState;
use ociref::webhook::{acr, Parsed, Payload};
use std::sync::{Condvar, Mutex};

/// Which waiting request runs its next store operation.
trait Chooser {
    fn choose(&mut self, options: usize) -> usize;
}

/// Replays a prefix of choices, then takes the first option; records every decision so the
/// enumeration can move to the next interleaving.
struct Exhaustive {
    script: Vec<usize>,
    taken: Vec<(usize, usize)>,
}

impl Chooser for Exhaustive {
    fn choose(&mut self, options: usize) -> usize {
        let choice = self.script.get(self.taken.len()).copied().unwrap_or(0);
        self.taken.push((choice, options));
        choice
    }
}

impl Exhaustive {
    /// The next script in depth-first order, or `None` when every interleaving was run.
    fn next_script(&self) -> Option<Vec<usize>> {
        let mut taken = self.taken.clone();
        while let Some((choice, options)) = taken.pop() {
            if choice + 1 < options {
                let mut script: Vec<usize> = taken.iter().map(|(c, _)| *c).collect();
                script.push(choice + 1);
                return Some(script);
            }
        }
        None
    }
}

/// xorshift64*: deterministic per seed, no dependency.
struct Random(u64);

impl Chooser for Random {
    fn choose(&mut self, options: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % options
    }
}

#[derive(Default)]
struct Turns {
    waiting: Vec<usize>,
    granted: Option<usize>,
    live: usize,
}

struct Scheduler {
    store: MemoryStore,
    turns: Mutex<Turns>,
    changed: Condvar,
}

/// The store one request sees: every operation waits for its turn.
struct Actor<'a> {
    scheduler: &'a Scheduler,
    id: usize,
}

impl Actor<'_> {
    fn turn<T>(&self, op: impl FnOnce(&MemoryStore) -> T) -> T {
        let s = self.scheduler;
        let mut turns = s.turns.lock().unwrap_or_else(|p| p.into_inner());
        turns.waiting.push(self.id);
        s.changed.notify_all();
        while turns.granted != Some(self.id) {
            turns = s.changed.wait(turns).unwrap_or_else(|p| p.into_inner());
        }
        turns.granted = None;
        turns.waiting.retain(|w| *w != self.id);
        // The others wait for a grant, and the scheduler for this one to block again:
        // the operation runs alone.
        let result = op(&s.store);
        drop(turns);
        result
    }
}

impl Store for Actor<'_> {
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        self.turn(|s| s.get_many(keys))
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        self.turn(|s| s.set_many(entries))
    }
    fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        self.turn(|s| s.delete_many(keys))
    }
    fn increment(&self, key: &str, delta: u64) -> Result<u64, StoreError> {
        self.turn(|s| s.increment(key, delta))
    }
}

struct Done<'a>(&'a Scheduler);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        let mut turns = self.0.turns.lock().unwrap_or_else(|p| p.into_inner());
        turns.live -= 1;
        self.0.changed.notify_all();
    }
}

/// A request and, right after it, the badge read that must already reflect it.
struct Step {
    body: Vec<u8>,
    /// The lowest version the badge may show once this request has returned.
    at_least: Option<semver::Version>,
}

fn push_step(id: &str, tag: &str, d: u64, at: u64) -> Step {
    Step {
        body: push_json(id, "app", tag, d, at),
        at_least: version_of(tag),
    }
}

/// Runs `steps` concurrently under `chooser`, after `setup` ran alone; returns the store.
fn run(setup: &[Vec<u8>], steps: &[Step], chooser: &mut dyn Chooser) -> MemoryStore {
    let scheduler = Scheduler {
        store: MemoryStore::new(),
        turns: Mutex::default(),
        changed: Condvar::new(),
    };
    for body in setup {
        assert_eq!(call(&scheduler.store, &webhook(body.clone())).0, 200);
    }
    scheduler.turns.lock().unwrap().live = steps.len();
    std::thread::scope(|scope| {
        for (id, step) in steps.iter().enumerate() {
            let scheduler = &scheduler;
            scope.spawn(move || {
                // Leaves the schedule even when an assertion fails, so the test fails, not hangs.
                let _done = Done(scheduler);
                let actor = Actor { scheduler, id };
                let (status, body) = call(&actor, &webhook(step.body.clone()));
                assert_eq!(status, 200, "{body}");
                let (status, badge) = call(
                    &actor,
                    &Request::new(
                        ociref::http::Method::Get,
                        &format!("/{HOST}/app?format=tag"),
                    ),
                );
                assert_eq!(status, 200);
                if let Some(min) = &step.at_least {
                    let shown = version_of(badge["message"].as_str().unwrap());
                    assert!(
                        shown.as_ref().is_some_and(|v| v >= min),
                        "after pushing {min} the badge shows {badge}"
                    );
                }
            });
        }
        let mut turns = scheduler.turns.lock().unwrap();
        loop {
            while turns.granted.is_some() || turns.waiting.len() < turns.live {
                turns = scheduler.changed.wait(turns).unwrap();
            }
            if turns.live == 0 {
                break;
            }
            turns.waiting.sort_unstable();
            let pick = turns.waiting[chooser.choose(turns.waiting.len())];
            turns.granted = Some(pick);
            scheduler.changed.notify_all();
        }
    });
    scheduler.store
}

/// The reference model: every delivered event folded into one state, in delivery order.
fn model_latest(bodies: &[&[u8]]) -> Option<String> {
    let mut state = RepoState::default();
    for body in bodies {
        let payload = Payload { body, headers: &[] };
        if let Ok(Parsed::Events(events)) = acr::parse(payload) {
            for e in events {
                let order = Order {
                    at: e.occurred_at.unwrap_or(Timestamp(0)),
                    id: e.id.clone(),
                };
                state.apply(&e, &order);
            }
        }
    }
    state
        .latest(&Selection::default())
        .map(|(tag, _)| tag.to_owned())
}

fn check(store: &MemoryStore, setup: &[Vec<u8>], steps: &[Step]) {
    let all: Vec<&[u8]> = setup
        .iter()
        .map(Vec::as_slice)
        .chain(steps.iter().map(|s| s.body.as_slice()))
        .collect();
    let expected = model_latest(&all).map_or("withdrawn".to_owned(), |t| t);
    let (_, badge) = call(store, &get("/app?format=tag"));
    assert_eq!(badge["message"], expected.as_str(), "{badge}");
    let (_, history) = call(store, &get("/api/history/app?limit=100"));
    let mut ids: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want: Vec<String> = all
        .iter()
        .map(|b| {
            serde_json::from_slice::<serde_json::Value>(b).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    want.sort_unstable();
    want.dedup();
    assert_eq!(ids, want);
}

fn every_interleaving(setup: &[Vec<u8>], steps: &[Step]) -> usize {
    assert!(
        steps.len() <= 2,
        "three requests have billions of interleavings: use Random"
    );
    let mut script = Vec::new();
    let mut runs = 0;
    loop {
        let mut chooser = Exhaustive {
            script,
            taken: Vec::new(),
        };
        let store = run(setup, steps, &mut chooser);
        check(&store, setup, steps);
        runs += 1;
        match chooser.next_script() {
            Some(next) => script = next,
            None => return runs,
        }
    }
}

#[test]
fn every_interleaving_of_two_first_pushes() {
    let steps = [
        push_step("a", "0.18.1", 1, 1),
        push_step("b", "0.17.5", 2, 2),
    ];
    let runs = every_interleaving(&[], &steps);
    assert!(runs >= 100, "only {runs} interleavings");
}

#[test]
fn every_interleaving_of_two_pushes_to_a_tracked_repository() {
    let setup = [push_json("s", "app", "0.1.0", 9, 0)];
    let steps = [push_step("a", "1.2.0", 1, 1), push_step("b", "1.1.0", 2, 2)];
    every_interleaving(&setup, &steps);
}

#[test]
fn every_interleaving_of_a_push_and_a_delete() {
    let setup = [push_json("s", "app", "1.0.0", 1, 0)];
    let steps = [
        // The delete may land before the push's own read: no floor for it.
        Step {
            body: push_json("a", "app", "2.0.0", 2, 1),
            at_least: None,
        },
        Step {
            body: delete_json("d", "app", 2, 2),
            at_least: None,
        },
    ];
    every_interleaving(&setup, &steps);
}

#[test]
fn every_interleaving_of_an_event_and_its_redelivery() {
    let steps = [push_step("a", "1.0.0", 1, 1), push_step("a", "1.0.0", 1, 1)];
    every_interleaving(&[], &steps);
}

/// `schedules` seeded random interleavings, each checked like the exhaustive ones.
fn random_schedules(setup: &[Vec<u8>], steps: &[Step], schedules: u64) {
    for seed in 1..=schedules {
        let store = run(
            setup,
            steps,
            &mut Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        );
        check(&store, setup, steps);
    }
}

#[test]
fn seeded_random_schedules_of_three_pushes() {
    let setup = [push_json("s", "app", "0.1.0", 9, 0)];
    let steps = [
        push_step("a", "1.0.0", 1, 1),
        push_step("b", "1.2.0", 2, 2),
        push_step("c", "1.1.0", 3, 3),
    ];
    random_schedules(&setup, &steps, 300);
}

#[test]
fn seeded_random_schedules_of_six_mixed_requests() {
    let setup = [push_json("s", "app", "0.9.0", 9, 0)];
    let steps = [
        push_step("a", "1.0.0", 1, 1),
        push_step("b", "1.3.0", 2, 2),
        push_step("c", "1.1.0", 3, 3),
        Step {
            body: delete_json("d", "app", 9, 4),
            at_least: None,
        },
        push_step("e", "latest", 4, 5),
        push_step("b", "1.3.0", 2, 2),
    ];
    random_schedules(&setup, &steps, 300);
}
