//! Statement schema: the typed payloads of the five statement kinds, their strict CBOR encoding,
//! their validation, the TOML/JSON authoring form, templates for officers and plain-words summaries
//! for citizens.
//!
//! # Kinds
//!
//! | kind | type | content type |
//! |---|---|---|
//! | destruction | [`Destruction`] | `application/vnd.ashlog.destruction+cbor` |
//! | takedown | [`Takedown`] | `application/vnd.ashlog.takedown+cbor` |
//! | endorsement | [`Endorsement`] | `application/vnd.ashlog.endorsement+cbor` |
//! | correction | [`Correction`] | `application/vnd.ashlog.correction+cbor` |
//! | policy | [`LogPolicy`] | `application/vnd.ashlog.policy+cbor` |
//!
//! The kind travels in the COSE content type, the issuer URI and signing time in the CWT claims;
//! none of them is repeated in the payload. What each kind must say, and why, is DESIGN.md
//! §9.
//!
//! # What a valid statement guarantees
//!
//! [`Statement::from_cbor`] accepts a payload only if it is exactly one CBOR map with text keys, no
//! repeated key, no float, null, byte string or tag, and no field the schema does not define, and
//! if [`Statement::validate`] passes: every text and array is bounded (and the error names the
//! bound), every date, date-time, entry id, hash and identifier is well formed, and the rules
//! between fields hold (completion not before start, every action on a listed system, the fields a
//! correction kind needs...). Validity is about form. It never means the claim is true: the log
//! proves who said what and that it was never changed, and endorsements say who checked which part.
//!
//! # No personal data
//!
//! No field holds a person's identifier. People appear only by their public role (an accountable
//! officer's title, a notary's name and licence number as signatory); the `contact` is an office's.
//! Per-person checking goes through [`Commitment`], a root over keyed identifiers.
//!
//! # Authoring
//!
//! Officers write a [`Document`] in TOML: an `[envelope]` (kind, subject, optional issuer) and a
//! `[statement]` that maps one-to-one onto the payload. [`template`] gives a commented, valid
//! starting point per kind; [`fixtures`] holds the worked Wuxi example of March 2023.

mod check;
mod common;
mod correction;
mod deserializer;
mod destruction;
mod document;
mod endorsement;
mod error;
pub mod fixtures;
mod kind;
mod policy;
mod statement;
mod summary;
mod takedown;
mod template;

pub use check::MAX_PAYLOAD_BYTES;
pub use common::{
    Attachment, Contact, DataCategoryCode, EntryRef, LText, LegalCitation, Org, OrgId, OrgIdScheme,
    OrgType, RefersTo, Relation, Trigger,
};
pub use correction::{
    Authorization, Correction, CorrectionKind, EffectOnEndorsements, PatchOp, PatchOpKind,
    ReasonCode,
};
pub use destruction::{
    Action, Approval, Batch, CheckService, Commitment, CommitmentScheme, Components, CopyScope,
    CountUnit, DataCategory, Destruction, DestructionStatus, Executor, ExecutorRole, Granularity,
    Hosting, Independence, KeyCustody, KeyDestroyed, LeafKind, Level, Location, MIN_LEAVES, Media,
    MediaDestination, MediaKind, Officer, OrderRef, PendingStep, Period, PublicNotice,
    RecipientNotice, RecordCount, ReferenceKind, RetentionException, Sample, Standard,
    SubjectCount, System, Technique, Tool, Validation, ValidationDecision, Verification,
    VerificationMethod, VerificationResult, Verifier, Witness, WitnessReference, WitnessRole,
};
pub use document::{Document, Envelope};
pub use endorsement::{
    Endorsement, EndorsementType, EndorserRole, Engagement, Exclusion, IndependenceDeclaration,
    Observation, Opinion, Signatory,
};
pub use error::SchemaError;
pub use kind::Kind;
pub use policy::{LEAF_RULE, LogPolicy, TrustAnchor};
pub use statement::Statement;
pub use takedown::{
    App, AppCount, AppIdentifier, AppUsers, DataLocation, Disposition, Fate, IdentifierKind,
    NoticeMethod, Stage, StageKind, Takedown, UserNotice,
};
pub use template::template;
