//! The CPU time this process has used: user and system, every thread,
//! those that have ended included (Linux's `/proc/self/stat`, in ticks of
//! 10 ms: `USER_HZ` is 100 on every architecture Linux runs on here).
//!
//! A benchmark that runs client and server in one process divides it by
//! the calls it made: CPU per call is steadier than calls per second on a
//! shared machine, and says whether a figure is bound by the CPU or by
//! waiting (CPU per call × calls per second well below the cores: waiting).

use std::time::Duration;

const TICKS_PER_SECOND: u64 = 100;

/// The CPU time used so far; `None` where `/proc` does not tell.
pub fn used() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After "pid (command)" — the command may hold spaces — come the
    // fields from the third on: utime and stime are the 14th and 15th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 1000 / TICKS_PER_SECOND))
}

/// CPU used since `before` (a reading of [`used`]), if both are known.
pub fn since(before: Option<Duration>) -> Option<Duration> {
    used()?.checked_sub(before?)
}

/// `spent` per item, in µs (`None` for no items).
pub fn micros_each(spent: Duration, items: u64) -> Option<f64> {
    (items > 0).then(|| spent.as_secs_f64() * 1e6 / items as f64)
}
