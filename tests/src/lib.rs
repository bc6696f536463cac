//! Test support for ashlog's end-to-end tests, crash loop and load
//! generator: starting the real binaries ([`harness`]), a whole deployment
//! ([`world`]), an HTTP client for the log ([`client`]), checking a log
//! from outside ([`check`]), the SIGKILL loop ([`crashloop`]), registration load
//! for it and the fault tests ([`load`]) and the load
//! generator's parts ([`bench`]).

pub mod bench;
pub mod check;
pub mod client;
pub mod crashloop;
pub mod harness;
pub mod load;
pub mod world;
