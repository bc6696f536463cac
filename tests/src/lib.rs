//! Test support for ashlog's end-to-end tests, crash loop and load
//! generator: starting the real binaries ([`harness`]), a whole deployment
//! ([`world`]), and an HTTP client for the log ([`client`]).

pub mod client;
pub mod harness;
pub mod world;
