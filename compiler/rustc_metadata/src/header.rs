//! Compiling against crate headers (`-Z emit-header`, `-Z consume-headers`).
//!
//! A crate's header is the metadata file (`.rmeta`) of a build that also generates code: it
//! carries everything a dependent needs to type-check *and* to generate code against the crate
//! (the optimized MIR of generic, `#[inline]` and cross-crate-inlinable items and the lists of
//! exported symbols). It is written before code generation starts.
//!
//! With `-Z consume-headers` a crate of any type is compiled against the headers of its
//! dependencies alone: their rlibs are only needed when the crate is linked. The locator then
//! never reads an upstream rlib and records the rlib path that the header promises. Every crate
//! whose rlib is linked in is remembered as a [`LinkedHeader`], and the link step (in the same
//! process, or later with `-Z link-only`) checks that each of those rlibs is the one built
//! together with the header the crate was compiled against.

use std::path::PathBuf;

use rustc_data_structures::svh::Svh;
use rustc_macros::{Decodable, Diagnostic, Encodable};
use rustc_middle::middle::dependency_format::Linkage;
use rustc_middle::ty::TyCtxt;
use rustc_session::Session;
use rustc_session::config::{CrateType, DebugInfo, Lto, OutputType};
use rustc_span::Symbol;

use crate::creader::MetadataLoader;
use crate::locator::{CrateFlavor, get_metadata_section};

/// An upstream crate that was compiled against through its header and whose rlib is linked in.
#[derive(Clone, Debug, Encodable, Decodable)]
pub struct LinkedHeader {
    pub crate_name: Symbol,
    /// The hash the local crate recorded (`recorded_crate_hash`): the header's interface hash
    /// if it has one, else its crate hash.
    pub hash: Svh,
    pub header: PathBuf,
    pub rlib: PathBuf,
}

/// The upstream crates of the local crate that were loaded from a header and are linked
/// statically into at least one of its outputs, in crate-number order.
pub fn linked_headers(tcx: TyCtxt<'_>) -> Vec<LinkedHeader> {
    if !tcx.sess.opts.unstable_opts.consume_headers {
        return Vec::new();
    }
    let formats = tcx.dependency_formats(());
    tcx.crates(())
        .iter()
        .filter(|&&cnum| formats.values().any(|list| list.get(cnum) == Some(&Linkage::Static)))
        .filter_map(|&cnum| {
            let source = tcx.used_crate_source(cnum);
            let (Some(header), Some(rlib)) = (&source.rmeta, &source.rlib) else {
                return None;
            };
            Some(LinkedHeader {
                crate_name: tcx.crate_name(cnum),
                hash: tcx.recorded_crate_hash(cnum),
                header: header.clone(),
                rlib: rlib.clone(),
            })
        })
        .collect()
}

/// Checks that every rlib about to be linked exists and was built together with the header that
/// the local crate was compiled against. Reports every problem, then aborts if there was one.
pub fn verify_linked_headers(
    sess: &Session,
    metadata_loader: &dyn MetadataLoader,
    linked: &[LinkedHeader],
) {
    for dep in linked {
        let LinkedHeader { crate_name, hash, header, rlib } = dep;
        if !rlib.exists() {
            sess.dcx().emit_err(RlibMissing { crate_name: *crate_name, header, rlib });
            continue;
        }
        match get_metadata_section(
            &sess.target,
            CrateFlavor::Rlib,
            rlib,
            metadata_loader,
            sess.cfg_version,
            Some(*crate_name),
        ) {
            Ok(blob) => {
                let found = blob.get_header().hash;
                let interface_hash = blob.interface_hash();
                if found != *hash && interface_hash != Some(*hash) {
                    let found = match interface_hash {
                        Some(interface_hash) => {
                            format!("crate hash {found} and interface hash {interface_hash}")
                        }
                        None => format!("crate hash {found}"),
                    };
                    sess.dcx().emit_err(RlibMismatch {
                        crate_name: *crate_name,
                        header,
                        rlib,
                        expected: hash.to_string(),
                        found,
                    });
                }
            }
            Err(error) => {
                sess.dcx().emit_err(RlibUnreadable {
                    crate_name: *crate_name,
                    header,
                    rlib,
                    error: error.to_string(),
                });
            }
        }
    }
    sess.dcx().abort_if_errors();
}

/// Whether every rlib about to be linked has been written by the same compilation as the header
/// the local crate was compiled against, i.e. whether `-Z link-if-ready` can link now. An rlib
/// that is missing, unreadable, or left from another compilation (even one with the same
/// interface) is not ready; `-Z link-only` reports it when it is still wrong by then.
pub fn linked_rlibs_ready(
    sess: &Session,
    metadata_loader: &dyn MetadataLoader,
    linked: &[LinkedHeader],
) -> bool {
    let crate_hash = |flavor, path: &PathBuf, crate_name| {
        let blob = get_metadata_section(
            &sess.target,
            flavor,
            path,
            metadata_loader,
            sess.cfg_version,
            Some(crate_name),
        );
        blob.ok().map(|blob| blob.get_header().hash)
    };
    linked.iter().all(|LinkedHeader { crate_name, header, rlib, .. }| {
        // rustc renames a finished rlib into place, so one that exists is complete.
        rlib.exists()
            && crate_hash(CrateFlavor::Rmeta, header, *crate_name).is_some_and(|header_hash| {
                crate_hash(CrateFlavor::Rlib, rlib, *crate_name) == Some(header_hash)
            })
    })
}

/// Whether the local crate's outputs record the checksums of its dependencies' source files.
/// With debuginfo, the LLVM IR of code inlined or instantiated from a dependency names the
/// dependency's source files with their checksums (`DIFile … checksumkind: CSK_MD5`). DWARF 4 line
/// tables leave them out, but they reach the output in LLVM bitcode (embedded in a library,
/// emitted, or as the objects of linker-plugin LTO), in DWARF 5 line tables, and through ThinLTO
/// (also the crate-local ThinLTO of an optimized build with several codegen units), which names
/// promoted symbols (`.llvm.<N>`) after a hash of each module.
///
/// A header whose own crate records them (`interface_covers_checksums`) hashes the checksum of
/// every file its interface has spans in; a dependent that records them records such a header's
/// interface hash, and any other header's crate hash.
pub(crate) fn records_upstream_checksums(tcx: TyCtxt<'_>) -> bool {
    let sess = tcx.sess;
    if sess.opts.debuginfo == DebugInfo::None {
        return false;
    }
    let bitcode = sess.opts.output_types.contains_key(&OutputType::Bitcode)
        || sess.opts.output_types.contains_key(&OutputType::LlvmAssembly)
        || sess.opts.cg.linker_plugin_lto.enabled()
        || sess.target.obj_is_bitcode
        || (sess.opts.cg.embed_bitcode
            && tcx.crate_types().iter().any(|ty| *ty != CrateType::Executable));
    let thin_lto = matches!(sess.lto(), Lto::ThinLocal | Lto::Thin | Lto::Fat);
    bitcode || thin_lto || sess.dwarf_version() >= 5
}

/// Whether the interface hash of the local crate covers the checksums of the source files its
/// interface has spans in: where the crate's own outputs record its dependencies' checksums, so
/// will, in the usual build where every crate has the same profile, its dependents'.
pub(crate) fn interface_covers_checksums(tcx: TyCtxt<'_>) -> bool {
    tcx.sess.opts.unstable_opts.emit_header && records_upstream_checksums(tcx)
}

/// Whether the local crate's outputs record what no interface hash covers: the text of its
/// dependencies' source files (`-Z embed-source`), CodeView's records of them (PDB targets, not
/// tried), or the lines of their type definitions (`-Z debug-info-type-line-numbers`). Such a crate
/// records its dependencies' crate hashes even under `-Z consume-headers`, and is recompiled
/// whenever they change.
pub(crate) fn records_upstream_sources(tcx: TyCtxt<'_>) -> bool {
    let sess = tcx.sess;
    if sess.opts.debuginfo == DebugInfo::None {
        return false;
    }
    sess.target.uses_pdb_debuginfo()
        || sess.opts.unstable_opts.embed_source
        || sess.opts.unstable_opts.debug_info_type_line_numbers
}

/// Rejects option combinations that cannot work with headers, before any analysis runs.
pub fn check_header_options(tcx: TyCtxt<'_>) {
    let sess = tcx.sess;
    let opts = &sess.opts;
    if opts.unstable_opts.emit_header {
        if !opts.output_types.contains_key(&OutputType::Metadata)
            || !opts.output_types.should_codegen()
        {
            sess.dcx().emit_err(EmitHeaderNeedsCodegen);
        }
        if !tcx.crate_types().iter().any(|ty| matches!(ty, CrateType::Rlib | CrateType::Dylib)) {
            sess.dcx().emit_err(EmitHeaderNeedsLibrary);
        }
    }
    if opts.unstable_opts.link_if_ready
        && !(opts.unstable_opts.no_link && opts.unstable_opts.consume_headers)
    {
        sess.dcx().emit_err(LinkIfReadyNeedsNoLink);
    }
    if opts.unstable_opts.consume_headers
        && opts.output_types.should_codegen()
        && tcx.crate_types().iter().any(|ty| *ty != CrateType::Rlib)
    {
        let lto = match sess.lto() {
            Lto::Fat => Some("fat"),
            Lto::Thin => Some("thin"),
            Lto::No | Lto::ThinLocal => None,
        };
        if let Some(lto) = lto {
            sess.dcx().emit_err(ConsumeHeadersLto { lto });
        }
    }
}

#[derive(Diagnostic)]
#[diag("the rlib of crate `{$crate_name}` is missing")]
#[note("this crate was compiled against the header `{$header}`")]
#[note("the rlib was expected at `{$rlib}`")]
#[help("finish building `{$crate_name}`, then run the link step again")]
struct RlibMissing<'a> {
    crate_name: Symbol,
    header: &'a PathBuf,
    rlib: &'a PathBuf,
}

#[derive(Diagnostic)]
#[diag(
    "the rlib of crate `{$crate_name}` does not match the header this crate was compiled against"
)]
#[note("this crate recorded `{$crate_name}` as {$expected}, from the header `{$header}`")]
#[note("rlib `{$rlib}` has {$found}")]
#[help("compile this crate again against the current header of `{$crate_name}`")]
struct RlibMismatch<'a> {
    crate_name: Symbol,
    header: &'a PathBuf,
    rlib: &'a PathBuf,
    expected: String,
    found: String,
}

#[derive(Diagnostic)]
#[diag("cannot read the rlib of crate `{$crate_name}`: {$error}")]
#[note("this crate was compiled against the header `{$header}`")]
#[note("the rlib was expected at `{$rlib}`")]
struct RlibUnreadable<'a> {
    crate_name: Symbol,
    header: &'a PathBuf,
    rlib: &'a PathBuf,
    error: String,
}

#[derive(Diagnostic)]
#[diag("`-Z emit-header` needs `--emit` to include `metadata` and an output that generates code")]
#[note("metadata written without code generation lacks the MIR and symbol lists dependents need")]
#[help("use `--emit=metadata,link`")]
struct EmitHeaderNeedsCodegen;

#[derive(Diagnostic)]
#[diag("`-Z emit-header` needs an `rlib` or `dylib` crate type")]
#[note("only library crates have a header that other crates compile against")]
struct EmitHeaderNeedsLibrary;

#[derive(Diagnostic)]
#[diag("`-Z link-if-ready` needs `-Z no-link` and `-Z consume-headers`")]
#[note("it decides whether a crate compiled against headers links at once or in its link step")]
struct LinkIfReadyNeedsNoLink;

#[derive(Diagnostic)]
#[diag("`-Z consume-headers` cannot be combined with `-C lto={$lto}`")]
#[note(
    "cross-crate LTO reads the bitcode of upstream rlibs while generating code, before they exist"
)]
#[help("use `-C lto=off` for this crate, or compile it without `-Z consume-headers`")]
struct ConsumeHeadersLto {
    lto: &'static str,
}

#[derive(Diagnostic)]
#[diag(
    "crate `{$crate_name}` refers to a definition of `{$dependency}` that `{$dependency}` no longer has"
)]
#[note("`{$crate_name}` (`{$path}`) was compiled against a different interface of `{$dependency}`")]
#[help("compile `{$crate_name}` again against the current header of `{$dependency}`")]
pub(crate) struct StaleHeaderReference {
    pub crate_name: Symbol,
    pub path: String,
    pub dependency: Symbol,
}
