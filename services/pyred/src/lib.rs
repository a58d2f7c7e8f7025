//! The `pyred` command's library: running the whole stack in one process ([`stack`]) and
//! importing JSON Lines files of companies and opportunities into it ([`import`]).
//!
//! The binary (`main.rs`) parses the command line and calls into this library, so that
//! tests start exactly the stack that `pyred up` starts.

pub mod import;
pub mod stack;
