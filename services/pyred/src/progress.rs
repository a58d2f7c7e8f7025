//! Terminal progress of the long `pyred` commands (`import`, `rebuild-index`): indicatif
//! bars on stderr, drawn only when stderr is a terminal. In a pipe, a file or CI they
//! print nothing, and what the commands print on stdout (their summaries) is the same
//! either way.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// A counter of lines read by `command`: `import : 12000 lignes lues (3s)`.
pub fn lines_read(command: &str) -> ProgressBar {
    styled(
        None,
        &format!("{{spinner}} {command} : {{pos}} lignes lues ({{elapsed}})"),
        ProgressStyle::default_spinner,
    )
}

/// A bar of change-feed sequence numbers, up to `head`:
/// `[█████░░░░░] séquence 1200 sur 5000 (4s)`.
pub fn sequence(head: u64) -> ProgressBar {
    styled(
        Some(head),
        "[{bar:40}] séquence {pos} sur {len} ({elapsed})",
        ProgressStyle::default_bar,
    )
}

/// A bar on stderr (hidden when stderr is not a terminal) with `template`, or with
/// `fallback`'s style should the template not parse. It clears its line when dropped,
/// so that the summary or an error message that follows starts a line of its own.
fn styled(len: Option<u64>, template: &str, fallback: fn() -> ProgressStyle) -> ProgressBar {
    let style = ProgressStyle::with_template(template).unwrap_or_else(|_| fallback());
    ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr())
        .with_style(style)
        .with_finish(ProgressFinish::AndClear)
}
