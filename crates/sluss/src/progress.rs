//! The progress bar of long commands (loading at scale, moving a database).

/// A progress bar on standard error: redrawn in place on a terminal, a line per tenth
/// otherwise (logs stay readable).
pub fn progress_bar() -> impl Fn(&str, u64, u64) + Send + Sync {
    use std::io::{IsTerminal, Write};
    let tty = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let last = std::sync::Mutex::new((String::new(), 0u64));
    move |part: &str, done: u64, total: u64| {
        let Ok(mut last) = last.lock() else { return };
        let tenth = (done * 10).checked_div(total).unwrap_or(10);
        let new_part = last.0 != part;
        if !tty && !new_part && tenth == last.1 && done != total {
            return;
        }
        if new_part && tty && !last.0.is_empty() {
            eprintln!();
        }
        *last = (part.to_string(), tenth);
        let width = 30usize;
        let filled = ((done * width as u64)
            .checked_div(total)
            .unwrap_or(width as u64)) as usize;
        let line = format!(
            "{part:<12} [{}{}] {:>3} %  {done}/{total}  {:.0} s",
            "#".repeat(filled),
            ".".repeat(width - filled),
            (done * 100).checked_div(total).unwrap_or(100),
            started.elapsed().as_secs_f64()
        );
        let mut err = std::io::stderr().lock();
        let _ = if tty {
            write!(err, "\r{line}")
        } else {
            writeln!(err, "{line}")
        };
        if tty && done == total {
            let _ = writeln!(err);
            last.0.clear();
        }
    }
}
