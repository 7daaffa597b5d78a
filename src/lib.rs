//! Disaster-recovery Lambda handlers for the orders platform.
//!
//! Each handler follows the same steps: decode the event, validate it, read
//! what AWS has, compute a plan (pure, in `plan` modules), then apply the plan
//! with as few SDK calls as possible. A dry run is the plan without the apply.

pub mod aws;
pub mod config;
pub mod drill;
pub mod error;
pub mod failover;
pub mod metrics;
pub mod plan;
pub mod readiness;
pub mod restore;
pub mod runtime;
pub mod trigger;
pub mod validate;

pub use error::Error;
