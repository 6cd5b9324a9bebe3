//! What the process sets up before any command runs: logs on stderr (as text or JSON),
//! and glibc's malloc arenas.

use tracing_subscriber::EnvFilter;

/// Logs go to stderr; stdout carries what a command prints (a token, JSON) for scripts.
/// `SLUSS_LOG_FORMAT=json` writes one JSON object a line, with the request's span (its id,
/// method and route) on every line of a request, for a log collector gathering several
/// nodes' logs.
pub fn init_logging() {
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    if std::env::var("SLUSS_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

/// glibc gives busy threads arenas of their own (up to eight per core) and rarely returns
/// their freed memory: after a burst of concurrent queries the server kept ~40 MB more
/// resident than with two arenas, and no faster. Two keep memory flat under load.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before the server
    // starts and its result (0 when refused) leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
