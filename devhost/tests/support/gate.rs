//! A TCP relay on a free loopback port in front of a registry, which a test can slow down or
//! close after a number of connections: a registry that dies in the middle of a
//! reconciliation, deterministically. ociref's dev host opens one connection per request, so
//! connections are requests.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Rules {
    /// Connections still let through; `None`: all of them.
    allowed: Option<u64>,
    /// Held this long before being relayed.
    delay: Duration,
}

pub struct Gate {
    pub addr: SocketAddr,
    rules: Arc<Mutex<Rules>>,
    connections: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Gate {
    /// Relays every connection to `upstream` until told otherwise.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let rules = Arc::new(Mutex::new(Rules::default()));
        let connections = Arc::new(AtomicU64::new(0));
        let (task_rules, task_connections) = (Arc::clone(&rules), Arc::clone(&connections));
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                task_connections.fetch_add(1, Ordering::SeqCst);
                let (pass, delay) = {
                    let mut rules = task_rules.lock().unwrap();
                    let pass = match rules.allowed.as_mut() {
                        None => true,
                        Some(0) => false,
                        Some(n) => {
                            *n -= 1;
                            true
                        }
                    };
                    (pass, rules.delay)
                };
                if !pass {
                    // Closed at once: the client sees its request cut off.
                    drop(inbound);
                    continue;
                }
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self {
            addr,
            rules,
            connections,
            task,
        }
    }

    /// Lets every connection through.
    pub fn open(&self) {
        self.rules.lock().unwrap().allowed = None;
    }

    /// Lets the next `n` connections through and closes every later one.
    pub fn allow(&self, n: u64) {
        self.rules.lock().unwrap().allowed = Some(n);
    }

    /// Holds every new connection for `delay` before relaying it.
    pub fn delay(&self, delay: Duration) {
        self.rules.lock().unwrap().delay = delay;
    }

    /// Connections accepted so far, relayed or closed.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.task.abort();
    }
}
