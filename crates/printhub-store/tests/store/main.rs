//! Integration tests for printhub-store, one module per feature, against
//! real database files in temporary directories.

mod support;

mod corruption;
mod durability;
mod faults;
mod group_commit;
mod keys;
mod listing;
mod metadata;
mod migration;
mod printers;
mod retention;
mod saved;
