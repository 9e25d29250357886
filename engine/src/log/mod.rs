//! One stream's storage, pure: entries packed into nodes (`node`), the index over the
//! nodes (`tree`), Redis's listpack sizes that decide where a node closes (`lpsize`),
//! and the producers' idempotency records (`idmp`).

pub(crate) mod idmp;
pub(crate) mod lpsize;
pub(crate) mod node;
pub(crate) mod tree;
