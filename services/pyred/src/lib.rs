//! The `pyred` command's library: running the whole stack in one process ([`stack`]).
//!
//! The binary (`main.rs`) parses the command line and calls into this library, so that
//! tests start exactly the stack that `pyred up` starts.

pub mod stack;
