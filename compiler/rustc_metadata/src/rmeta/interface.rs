//! What headers add to a crate's metadata.
//!
//! A crate built with `-Z emit-header` records its interface hash; a crate built with
//! `-Z consume-headers` encodes its references into other crates position-independently, so
//! that its metadata stays valid while those crates' interface hashes do not change:
//!
//! * a foreign `DefId` as its `DefPathHash` instead of its `DefIndex`,
//! * a foreign `ExpnId` as its `ExpnHash` instead of its `ExpnIndex`,
//! * a span in a foreign file as the file's `StableSourceFileId`, line, column and length
//!   instead of the file's index in the owner's source map and a byte offset,
//! * the key of a foreign trait in the trait impl index as the trait's `DefPathHash`.
//!
//! Both are recorded in a trailer between the encoded metadata and the end marker, which
//! metadata written without these flags does not have: it stays what it always was.
//! The trailer is the position of a `HeaderTrailer` followed by `TRAILER_MAGIC`.

use std::path::Path;

use rustc_data_structures::fingerprint::Fingerprint;
use rustc_data_structures::owned_slice::slice_owned;

use super::*;

pub(super) const TRAILER_MAGIC: &[u8; 8] = b"rsheader";

#[derive(MetadataEncodable, BlobDecodable)]
pub(crate) struct HeaderTrailer {
    /// The hash of what dependents compiled against this crate can observe.
    pub(crate) interface_hash: Option<Svh>,
    /// The interface hash covers the checksums of the source files the interface has spans in
    /// (`header::interface_covers_checksums`), so a dependent whose outputs record them can
    /// record it.
    pub(crate) interface_covers_checksums: bool,
    /// References into other crates are position-independent.
    pub(crate) portable_refs: bool,
    /// With `portable_refs`: for each entry of `CrateRoot::impls`, in order, the
    /// `DefPathHash` of the trait if it is foreign (its `DefIndex` there is a placeholder).
    pub(crate) foreign_trait_hashes: Vec<Option<(u64, u64)>>,
}

/// The interface hash in the metadata file at `path`, if it has one.
pub(crate) fn read_interface_hash(path: &Path) -> Option<Svh> {
    let bytes = std::fs::read(path).ok()?;
    let blob = MetadataBlob::new(slice_owned(bytes, |bytes: &Vec<u8>| &bytes[..])).ok()?;
    blob.interface_hash()
}

impl HeaderTrailer {
    pub(crate) fn foreign_trait_hash(&self, impls_index: usize) -> Option<DefPathHash> {
        let (hi, lo) = (*self.foreign_trait_hashes.get(impls_index)?)?;
        Some(DefPathHash(Fingerprint::new(hi, lo)))
    }
}
