//! Per-person commitments: "was my record among those destroyed?"
//! (DESIGN.md §10).
//!
//! A destruction statement may commit to the set of people whose records it
//! destroyed, as a tree over keyed values of their identifiers. A person
//! checks with their identifier while neither the log, nor the key holder,
//! nor anyone watching learns it:
//!
//! 1. [`identifier`]: the identifier in its one canonical form;
//! 2. [`input`]: the PRF input, bound to the commitment's context;
//! 3. [`oprf`]: its keyed value, obtained blinded from the key holder, with
//!    a proof that the key is the one in the logged statement (or, for the
//!    other leaf kinds, [`leaf`]);
//! 4. [`tree`]: the bucket of leaves that value falls in, proved to the
//!    committed root, which says member or not, and the small proof a
//!    person keeps.

pub mod identifier;
pub mod input;
pub mod keyfile;
pub mod leaf;
pub mod oprf;
pub mod tree;
