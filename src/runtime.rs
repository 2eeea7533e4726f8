//! Process and Tokio runtime metrics, observed when the meter provider collects
//! (so they cost nothing between scrapes).

use std::time::Instant;

use opentelemetry::metrics::Meter;
use opentelemetry::KeyValue;

use crate::catalog::{self, InstrumentSpec};
use crate::names;

/// What `/proc/self` says about this process (Linux); all `None` elsewhere.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct ProcStats {
    pub(crate) user_seconds: Option<f64>,
    pub(crate) system_seconds: Option<f64>,
    pub(crate) rss_bytes: Option<u64>,
    pub(crate) virtual_bytes: Option<u64>,
    pub(crate) threads: Option<u64>,
    pub(crate) open_fds: Option<u64>,
}

/// `/proc` reports CPU time in USER_HZ ticks, which Linux fixes at 100 per second.
const TICKS_PER_SECOND: f64 = 100.0;

impl ProcStats {
    pub(crate) fn read() -> ProcStats {
        let mut s = ProcStats::default();
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
            // The command name may hold spaces; fields start after its closing paren.
            if let Some((_, rest)) = stat.rsplit_once(')') {
                let f: Vec<&str> = rest.split_whitespace().collect();
                // rest[0] is field 3 (state): utime is field 14, stime field 15.
                let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
                s.user_seconds = ticks(11).map(|t| t as f64 / TICKS_PER_SECOND);
                s.system_seconds = ticks(12).map(|t| t as f64 / TICKS_PER_SECOND);
            }
        }
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            for line in status.lines() {
                let kib = |l: &str| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                        .map(|k| k * 1024)
                };
                if line.starts_with("VmRSS:") {
                    s.rss_bytes = kib(line);
                } else if line.starts_with("VmSize:") {
                    s.virtual_bytes = kib(line);
                } else if line.starts_with("Threads:") {
                    s.threads = line.split_whitespace().nth(1).and_then(|v| v.parse().ok());
                }
            }
        }
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            s.open_fds = Some(dir.count() as u64);
        }
        s
    }
}

/// The cgroup (v2) directory of this process, from `/proc/self/cgroup`'s `0::` line.
fn cgroup_dir() -> Option<std::path::PathBuf> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    Some(std::path::Path::new("/sys/fs/cgroup").join(rel.trim_start_matches('/')))
}

/// Reads a cgroup file of this process's cgroup, else of the namespace's root cgroup
/// (where a container sees its own limits).
fn cgroup_file(name: &str) -> Option<String> {
    cgroup_dir()
        .and_then(|d| std::fs::read_to_string(d.join(name)).ok())
        .or_else(|| std::fs::read_to_string(std::path::Path::new("/sys/fs/cgroup").join(name)).ok())
}

/// The memory this process may use, in bytes: the cgroup's `memory.max` (v2) or
/// `memory.limit_in_bytes` (v1) when lower than the machine's memory, else the machine's.
pub(crate) fn memory_limit_bytes() -> Option<u64> {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map(|k| k * 1024)
    });
    let cgroup = cgroup_file("memory.max")
        .or_else(|| std::fs::read_to_string("/sys/fs/cgroup/memory/memory.limit_in_bytes").ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match (cgroup, total) {
        (Some(c), Some(t)) => Some(c.min(t)),
        (c, t) => c.or(t),
    }
}

/// The CPUs this process may use: the cgroup's `cpu.max` quota over its period, else
/// the CPUs the scheduler lets it run on.
pub(crate) fn cpu_limit() -> Option<f64> {
    let quota = cgroup_file("cpu.max").and_then(|v| {
        let mut f = v.split_whitespace();
        let quota = f.next()?.parse::<f64>().ok()?;
        let period = f.next()?.parse::<f64>().ok()?;
        (period > 0.0).then(|| quota / period)
    });
    // cgroup v1: a quota of -1 is none.
    let quota = quota.or_else(|| {
        let read = |f: &str| {
            std::fs::read_to_string(format!("/sys/fs/cgroup/cpu/{f}"))
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        let (q, p) = (read("cpu.cfs_quota_us")?, read("cpu.cfs_period_us")?);
        (q > 0.0 && p > 0.0).then(|| q / p)
    });
    quota.or_else(|| {
        std::thread::available_parallelism()
            .ok()
            .map(|n| n.get() as f64)
    })
}

fn i64_updown(
    meter: &Meter,
    spec: &'static InstrumentSpec,
    read: impl Fn(&ProcStats) -> Option<u64> + Send + Sync + 'static,
) {
    meter
        .i64_observable_up_down_counter(spec.name)
        .with_unit(spec.unit)
        .with_description(spec.description)
        .with_callback(move |o| {
            if let Some(v) = read(&ProcStats::read()) {
                o.observe(v as i64, &[]);
            }
        })
        .build();
}

/// Registers the process instruments: CPU time and limit, memory and its limit, threads,
/// open descriptors, uptime.
pub(crate) fn register_process(meter: &Meter) {
    let cpu = &catalog::PROCESS_CPU_TIME;
    meter
        .f64_observable_counter(cpu.name)
        .with_unit(cpu.unit)
        .with_description(cpu.description)
        .with_callback(|o| {
            let s = ProcStats::read();
            if let Some(v) = s.user_seconds {
                o.observe(v, &[KeyValue::new(names::CPU_MODE, "user")]);
            }
            if let Some(v) = s.system_seconds {
                o.observe(v, &[KeyValue::new(names::CPU_MODE, "system")]);
            }
        })
        .build();
    i64_updown(meter, &catalog::PROCESS_MEMORY_USAGE, |s| s.rss_bytes);
    i64_updown(meter, &catalog::PROCESS_MEMORY_VIRTUAL, |s| s.virtual_bytes);
    i64_updown(meter, &catalog::PROCESS_MEMORY_LIMIT, |_| {
        memory_limit_bytes()
    });
    let cpus = &catalog::PROCESS_CPU_LIMIT;
    meter
        .f64_observable_gauge(cpus.name)
        .with_unit(cpus.unit)
        .with_description(cpus.description)
        .with_callback(|o| {
            if let Some(v) = cpu_limit() {
                o.observe(v, &[]);
            }
        })
        .build();
    i64_updown(meter, &catalog::PROCESS_THREAD_COUNT, |s| s.threads);
    i64_updown(meter, &catalog::PROCESS_UNIX_FILE_DESCRIPTOR_COUNT, |s| {
        s.open_fds
    });
    let up = &catalog::PROCESS_UPTIME;
    let started = Instant::now();
    meter
        .f64_observable_gauge(up.name)
        .with_unit(up.unit)
        .with_description(up.description)
        .with_callback(move |o| o.observe(started.elapsed().as_secs_f64(), &[]))
        .build();
}

/// Registers the Tokio runtime instruments for `handle`'s runtime.
pub(crate) fn register_tokio(meter: &Meter, handle: tokio::runtime::Handle) {
    let flavor = match handle.runtime_flavor() {
        tokio::runtime::RuntimeFlavor::CurrentThread => "current_thread",
        _ => "multi_thread",
    };
    let attrs = [KeyValue::new(names::TOKIO_RUNTIME_FLAVOR, flavor)];
    let gauge = |spec: &'static InstrumentSpec,
                 read: fn(&tokio::runtime::RuntimeMetrics) -> usize| {
        let (h, a) = (handle.clone(), attrs.clone());
        meter
            .i64_observable_up_down_counter(spec.name)
            .with_unit(spec.unit)
            .with_description(spec.description)
            .with_callback(move |o| o.observe(read(&h.metrics()) as i64, &a))
            .build();
    };
    gauge(&catalog::TOKIO_WORKERS, |m| m.num_workers());
    gauge(&catalog::TOKIO_ALIVE_TASKS, |m| m.num_alive_tasks());
    gauge(&catalog::TOKIO_GLOBAL_QUEUE_DEPTH, |m| {
        m.global_queue_depth()
    });
    let busy = &catalog::TOKIO_BUSY_TIME;
    let h = handle;
    meter
        .f64_observable_counter(busy.name)
        .with_unit(busy.unit)
        .with_description(busy.description)
        .with_callback(move |o| {
            let m = h.metrics();
            let total: f64 = (0..m.num_workers())
                .map(|w| m.worker_total_busy_duration(w).as_secs_f64())
                .sum();
            o.observe(total, &attrs);
        })
        .build();
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let s = ProcStats::read();
        assert!(s.rss_bytes.unwrap() > 0);
        assert!(s.virtual_bytes.unwrap() >= s.rss_bytes.unwrap());
        assert!(s.threads.unwrap() >= 1);
        let before = s.open_fds.unwrap();
        // Sixteen more: other tests of this process open and close files meanwhile.
        let _f: Vec<_> = (0..16)
            .map(|_| std::fs::File::open("/proc/self/stat").unwrap())
            .collect();
        assert!(ProcStats::read().open_fds.unwrap() > before + 8);
        // Burn some CPU: user time must not go backwards.
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(ProcStats::read().user_seconds.unwrap() >= s.user_seconds.unwrap());
    }

    #[test]
    fn limits_are_read_and_bound_what_the_process_uses() {
        let rss = ProcStats::read().rss_bytes.unwrap();
        let limit = memory_limit_bytes().unwrap();
        assert!(limit > rss, "limit {limit} <= rss {rss}");
        let cpus = cpu_limit().unwrap();
        assert!(cpus > 0.0 && cpus <= 4096.0, "{cpus}");
    }
}
