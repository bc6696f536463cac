//! Test support for ashlog's end-to-end tests, crash loop and load
//! generator: starting the real binaries ([`harness`]), a whole deployment
//! ([`world`]), an HTTP client for the log ([`client`]), and the load
//! generator's parts ([`bench`]).

pub mod bench;
pub mod client;
pub mod harness;
pub mod world;
