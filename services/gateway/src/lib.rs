//! Pyred's gateway: the advisers' web console and the JSON partner API.
