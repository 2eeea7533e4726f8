//! Process and Tokio runtime metrics on the exposition.

use crate::{scrape, world};

#[test]
fn process_and_runtime_metrics_are_exposed() {
    let _ = world();
    let s = scrape();
    let svc = [("service_name", "http-test")];
    assert!(
        s.value("process_cpu_time_seconds_total", &[("cpu_mode", "user")])
            .unwrap()
            > 0.0
    );
    assert!(s
        .value("process_cpu_time_seconds_total", &[("cpu_mode", "system")])
        .is_some());
    assert_eq!(s.kind("process_cpu_time_seconds_total"), Some("counter"));
    assert!(s.value("process_memory_usage_bytes", &svc).unwrap() > 1_000_000.0);
    assert!(
        s.value("process_memory_virtual_bytes", &svc).unwrap()
            >= s.value("process_memory_usage_bytes", &svc).unwrap()
    );
    assert!(s.value("process_thread_count", &svc).unwrap() >= 2.0);
    assert!(s.value("process_unix_file_descriptor_count", &svc).unwrap() >= 3.0);
    assert!(s.value("process_uptime_seconds", &svc).unwrap() >= 0.0);
    let mt = [("tokio_runtime_flavor", "multi_thread")];
    assert_eq!(s.value("tokio_runtime_workers", &mt), Some(2.0));
    assert!(
        s.value("tokio_runtime_alive_tasks", &mt).unwrap() >= 1.0,
        "the server task is alive"
    );
    assert!(s.value("tokio_runtime_global_queue_depth", &mt).is_some());
    assert!(s
        .value("tokio_runtime_busy_time_seconds_total", &mt)
        .is_some());
}
