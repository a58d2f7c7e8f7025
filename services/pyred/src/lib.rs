//! The `pyred` command's library: running the whole stack in one process ([`stack`]),
//! importing JSON Lines files of companies and opportunities into it ([`import`]),
//! measuring the matchmaking model on a judged data set ([`eval`]) and asking it for
//! the best matches of a firm or a listing ([`matching`]), with terminal progress for
//! the long commands ([`progress`]).
//!
//! The binary (`main.rs`) parses the command line and calls into this library, so that
//! tests start exactly the stack that `pyred up` starts.

pub mod admin;
pub mod credentials;
pub mod eval;
pub mod import;
pub mod matching;
pub mod progress;
pub mod search;
pub mod stack;
