//! `wasi:logging` to stderr as `LEVEL context: message`, filtered by `--log-level`; the host
//! logs its own lines the same way under the context `devhost`.

use crate::bindings::wasi::logging::logging::Level;
use std::fmt;
use std::str::FromStr;

/// The least severe level printed; `Off` prints nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Critical,
    Off,
}

impl FromStr for LogLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "trace" => Self::Trace,
            "debug" => Self::Debug,
            "info" => Self::Info,
            "warn" | "warning" => Self::Warn,
            "error" => Self::Error,
            "critical" => Self::Critical,
            "off" | "none" => Self::Off,
            _ => {
                return Err(format!(
                    "unknown log level {s:?}: use trace, debug, info, warn, error, critical or off"
                ))
            }
        })
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
            Self::Critical => "CRITICAL",
            Self::Off => "OFF",
        })
    }
}

impl From<Level> for LogLevel {
    fn from(level: Level) -> Self {
        match level {
            Level::Trace => Self::Trace,
            Level::Debug => Self::Debug,
            Level::Info => Self::Info,
            Level::Warn => Self::Warn,
            Level::Error => Self::Error,
            Level::Critical => Self::Critical,
        }
    }
}

/// Writes one line if `level` passes `threshold`.
pub fn log(threshold: LogLevel, level: LogLevel, context: &str, message: &str) {
    if level >= threshold && level != LogLevel::Off {
        // One `eprintln!` per line keeps concurrent requests' lines whole.
        eprintln!("{level} {context}: {message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_order() {
        assert_eq!("WARN".parse(), Ok(LogLevel::Warn));
        assert_eq!("off".parse(), Ok(LogLevel::Off));
        assert!("loud".parse::<LogLevel>().is_err());
        assert!(LogLevel::Error > LogLevel::Info);
        assert!(LogLevel::from(Level::Critical) < LogLevel::Off);
    }
}
