//! Actor tests: wiring with a scripted `MemoryTransport`, and the engine
//! against the emulator over real TCP on loopback. Timing is never asserted;
//! waits have deadlines only as upper bounds.

mod chain;
mod device;
mod emulator;
mod link;
mod media;
mod memory;
mod registry;
mod residency;
mod sqlite;
mod support;
