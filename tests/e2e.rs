//! End-to-end tests of the assembled engine (one binary, a module per feature).

mod crash;
