//! The interface hash of a crate header.
//!
//! A dependent compiled against a header can observe far less than the header's bytes: the
//! items it can name or reach through types and through the bodies the header carries, and
//! what codegen and the linker read about them. The interface hash covers exactly that, so a
//! dependent built against a header stays valid, and needs only a relink, while the hash is
//! unchanged. `docs/design.md` ("The interface hash") states the rule and why each exclusion
//! is safe.
//!
//! References are hashed position-independently (`DefPathHash`, `ExpnHash`, spans as file,
//! line and column), so renumbering private definitions or moving private code does not move
//! the hash. Dependents compiled with `-Z consume-headers` encode their own references into
//! this crate the same way (see `rmeta::interface`).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rustc_data_structures::fingerprint::Fingerprint;
use rustc_data_structures::fx::{FxHashMap, FxHashSet};
use rustc_data_structures::stable_hasher::{HashStable, StableHasher};
use rustc_index::IndexVec;
use rustc_index::bit_set::DenseBitSet;
use rustc_middle::ich::StableHashingContext;
use rustc_middle::mir::interpret::{AllocId, ConstAllocation, GlobalAlloc};
use rustc_middle::middle::codegen_fn_attrs::CodegenFnAttrFlags;
use rustc_middle::middle::privacy::Level;
use rustc_middle::mir::visit::Visitor as _;
use rustc_middle::ty::{TypeSuperVisitable, TypeVisitable, TypeVisitor};
use rustc_span::{BytePos, SourceFile, SourceFileHash, StableSourceFileId};

use super::*;

/// Computes the interface hash of the local crate. Only meaningful for a build that generates
/// code: the bodies and symbols it covers are those of the codegen-mode metadata.
pub(crate) fn interface_hash(tcx: TyCtxt<'_>) -> Svh {
    let carried = carried_mir(tcx);
    let items = interface_items(tcx, &carried);
    // Thousands of items and bodies share a few types (the consts of a crate like libc), and
    // outside incremental sessions a type carries no fingerprint of its own.
    let fingerprint: Fingerprint = ty::with_type_fingerprint_memo(|| {
        tcx.with_stable_hashing_context(|mut hcx| {
            let mut hasher = StableHasher::new();
            hash_crate(tcx, &mut hcx, &mut hasher);
            // Local definitions differ only in the local half of their `DefPathHash`; the crate's
            // half is in `hash_crate`.
            let mut items: Vec<_> = items
                .into_iter()
                .map(|def_id| (tcx.def_path_hash(def_id.to_def_id()).local_hash().as_u64(), def_id))
                .collect();
            items.sort_unstable_by_key(|&(hash, _)| hash);
            items.len().hash_stable(&mut hcx, &mut hasher);
            let mut positions =
                SpanPositions::new(tcx, crate::header::interface_covers_checksums(tcx));
            for (local_hash, def_id) in items {
                hasher.write_u64(local_hash);
                let mir = carried[def_id];
                hash_item(tcx, &mut hcx, &mut hasher, &mut positions, def_id, mir);
            }
            hasher.finish()
        })
    });
    Svh::new(fingerprint)
}

/// Crate-level data that dependents read: identity, dependencies, flags and attributes that
/// change how they link or generate code, exported symbols, native libraries, lang items.
fn hash_crate<'tcx>(
    tcx: TyCtxt<'tcx>,
    hcx: &mut StableHashingContext<'_>,
    hasher: &mut StableHasher,
) {
    tcx.crate_name(LOCAL_CRATE).as_str().hash(hasher);
    tcx.stable_crate_id(LOCAL_CRATE).hash(hasher);
    tcx.sess.opts.cg.extra_filename.hash(hasher);
    // Root fields that items, not crate attributes, decide (see
    // `crate_root_fields_are_classified`): a private body calling through an `extern "C-unwind"`
    // pointer makes the crate require the unwind strategy, and a private `#[global_allocator]` or
    // `#[panic_handler]` changes what every dependent links.
    tcx.required_panic_strategy(LOCAL_CRATE).hash(hasher);
    tcx.has_global_allocator(LOCAL_CRATE).hash(hasher);
    tcx.has_alloc_error_handler(LOCAL_CRATE).hash(hasher);
    tcx.has_panic_handler(LOCAL_CRATE).hash(hasher);
    tcx.sess.opts.target_triple.tuple().hash(hasher);
    tcx.sess.edition().hash(hasher);
    tcx.sess.panic_strategy().hash(hasher);
    tcx.sess.opts.unstable_opts.panic_in_drop.hash(hasher);
    tcx.sess.opts.get_symbol_mangling_version().hash(hasher);
    tcx.crate_types().hash(hasher);
    for modifier in tcx.sess.opts.gather_target_modifiers() {
        format!("{modifier:?}").hash(hasher);
    }
    hcx.while_hashing_spans(false, |hcx| {
        for attr in tcx.hir_krate_attrs() {
            if attr.doc_str().is_none() {
                attr.hash_stable(hcx, hasher);
            }
        }
        // Each dependency as the encoder writes it into `crate_deps`, in the same order (the
        // order crates were loaded, which dependents follow for their own crate numbers and the
        // link order): under `-Z consume-headers` the hash recorded for an upstream is its
        // interface hash.
        for &cnum in tcx.crates(()) {
            tcx.stable_crate_id(cnum).hash(hasher);
            tcx.crate_name(cnum).as_str().hash(hasher);
            tcx.recorded_crate_hash(cnum).hash(hasher);
            tcx.crate_host_hash(cnum).hash(hasher);
            format!("{:?}", tcx.crate_dep_kind(cnum)).hash(hasher);
            tcx.extra_filename(cnum).as_str().hash(hasher);
            tcx.is_private_dep(cnum).hash(hasher);
        }
        tcx.exported_non_generic_symbols(LOCAL_CRATE).hash_stable(hcx, hasher);
        tcx.exported_generic_symbols(LOCAL_CRATE).hash_stable(hcx, hasher);
        tcx.native_libraries(LOCAL_CRATE).hash_stable(hcx, hasher);
        // Which foreign items belong to which `extern` block: a dependent links each to its
        // block's library.
        for (def_id, module) in tcx.foreign_modules(LOCAL_CRATE) {
            def_id.hash_stable(hcx, hasher);
            module.hash_stable(hcx, hasher);
        }
        // With the missing ones (`LanguageItems::missing`), which the root lists too.
        tcx.lang_items().hash_stable(hcx, hasher);
        tcx.debugger_visualizers(LOCAL_CRATE).hash_stable(hcx, hasher);
        if tcx.crate_types().contains(&CrateType::Dylib) {
            tcx.dependency_formats(()).hash_stable(hcx, hasher);
        }
    });
}

/// Every field of the crate root, classified: hashed (by `hash_crate`, or per item by
/// `interface_items` and `hash_item`), or left out and why. Not called; it fails to compile when a
/// field is added to `CrateRoot` until the new field is classified here.
#[allow(dead_code)]
fn crate_root_fields_are_classified(root: &CrateRoot) {
    let CrateRoot {
        // Hashed in `hash_crate`: name, triple, crate types; the crate hash itself is what the
        // interface hash stands in for.
        header: _,
        extra_filename: _,
        stable_crate_id: _,
        required_panic_strategy: _,
        panic_in_drop_strategy: _,
        edition: _,
        has_global_allocator: _,
        has_alloc_error_handler: _,
        has_panic_handler: _,
        // These come from crate attributes and features, which are hashed.
        has_default_lib_allocator: _,
        compiler_builtins: _,
        needs_allocator: _,
        needs_panic_runtime: _,
        no_builtins: _,
        panic_runtime: _,
        profiler_runtime: _,
        specialization_enabled_in: _,
        // Hashed in `hash_crate` from the same queries the encoder reads.
        symbol_mangling_version: _,
        crate_deps: _,
        dylib_dependency_formats: _,
        lang_items: _,
        lang_items_missing: _,
        native_libraries: _,
        foreign_modules: _,
        debugger_visualizers: _,
        exported_non_generic_symbols: _,
        exported_generic_symbols: _,
        target_modifiers: _,
        // Per item: every trait impl is a root of `interface_items`; item tables as the rule
        // in docs/design.md says; allocations through the carried MIR that points to them;
        // source files and expansions by the positions of the spans that use them.
        impls: _,
        tables: _,
        interpret_alloc_index: _,
        source_map: _,
        syntax_contexts: _,
        expn_data: _,
        expn_hashes: _,
        def_path_hash_map: _,
        // Out: only diagnostics read them (trait suggestions, lints naming diagnostic items,
        // notes on items removed by `cfg`). Custom MIR (`#![feature(custom_mir)]`) picks callees
        // by diagnostic item, but only those of `core`.
        traits: _,
        diagnostic_items: _,
        stripped_cfg_items: _,
        // Out: only crates with `staged_api` (the standard library) have them.
        lib_features: _,
        stability_implications: _,
        // Per item: an incoherent impl (`#![feature(rustc_attrs)]`) is reachable, so a root.
        incoherent_impls: _,
        // Out for now: unstable features (`eii`, `export_stable`), which no crate on stable
        // Rust can use.
        externally_implementable_items: _,
        exportable_items: _,
        stable_order_of_exportable_impls: _,
        // Out: proc-macro crates have no header (`-Z emit-header` refuses them).
        proc_macro_data: _,
    } = root;
}

/// The definitions a dependent can observe: the crate's reachable items, every trait impl, and,
/// closed over, the local definitions mentioned by their types, bounds and the bodies the header
/// carries of them (a private field's type still decides a public type's layout; a private helper
/// called from an inlinable body is still a symbol the dependent links to; a private const read
/// by a carried body is evaluated by the dependent). A body the header carries but that nothing
/// reachable mentions (a private const table read by a non-generic fn, a private generic helper
/// of private code) cannot be named, evaluated or instantiated by a dependent: it is not a root.
fn interface_items(tcx: TyCtxt<'_>, carried: &IndexVec<LocalDefId, CarriedMir>) -> Vec<LocalDefId> {
    let effective_visibilities = tcx.effective_visibilities(());
    let reachable_set = tcx.reachable_set(());
    let mut roots: Vec<LocalDefId> = vec![CRATE_DEF_ID];
    for def_id in tcx.iter_local_def_id() {
        let reachable = effective_visibilities
            .effective_vis(def_id)
            .is_some_and(|vis| vis.is_public_at_level(Level::ReachableThroughImplTrait));
        if reachable
            || reachable_set.contains(&def_id)
            || matches!(tcx.def_kind(def_id), DefKind::Impl { of_trait: true })
        {
            roots.push(def_id);
        }
    }

    let mut items = Vec::new();
    let mut seen = DenseBitSet::new_empty(carried.len());
    let mut mentioned = MentionedDefs { found: Vec::new(), seen: FxHashSet::default() };
    while let Some(def_id) = roots.pop() {
        if !seen.insert(def_id) {
            continue;
        }
        items.push(def_id);
        let def_kind = tcx.def_kind(def_id);
        // An associated item or field is observed through its container, and a trait or a
        // trait impl brings all of its items along; an inherent impl only the items reached.
        if let Some(parent) = tcx.opt_local_parent(def_id)
            && matches!(
                def_kind,
                DefKind::AssocFn
                    | DefKind::AssocTy
                    | DefKind::AssocConst
                    | DefKind::Field
                    | DefKind::Variant
                    | DefKind::Ctor(..)
                    | DefKind::Closure
                    | DefKind::SyntheticCoroutineBody
                    | DefKind::OpaqueTy
                    | DefKind::AnonConst
                    | DefKind::InlineConst
            )
        {
            roots.push(parent);
        }
        if matches!(def_kind, DefKind::Trait | DefKind::Impl { of_trait: true }) {
            roots.extend(tcx.associated_item_def_ids(def_id).iter().map(|d| d.expect_local()));
        }
        if let DefKind::Struct | DefKind::Enum | DefKind::Union = def_kind {
            for variant in tcx.adt_def(def_id).variants() {
                if let Some(ctor) = variant.ctor_def_id() {
                    roots.push(ctor.expect_local());
                }
                // An explicit discriminant is an anonymous const the dependent evaluates
                // (`AdtDef::discriminants`, layout): its value is part of the enum.
                if let ty::VariantDiscr::Explicit(discr) = variant.discr {
                    roots.push(discr.expect_local());
                }
                for field in &variant.fields {
                    roots.push(field.did.expect_local());
                }
            }
        }
        visit_item(tcx, &mut mentioned, def_id, def_kind, carried[def_id]);
        roots.extend(mentioned.found.drain(..));
    }
    items
}

/// Which MIR the header carries for a definition (see `encode_mir`).
#[derive(Clone, Copy, Default)]
struct CarriedMir {
    /// MIR for CTFE, unless the definition is a trivial const.
    ctfe: bool,
    /// Optimized MIR.
    opt: bool,
    /// A const whose value the header carries in place of MIR for CTFE.
    trivial: bool,
}

impl CarriedMir {
    /// Whether the header carries at least one body (and its promoteds).
    fn has_body(self) -> bool {
        self.ctfe || self.opt
    }

}

/// What the header carries of each local definition's MIR.
fn carried_mir(tcx: TyCtxt<'_>) -> IndexVec<LocalDefId, CarriedMir> {
    let reachable_set = tcx.reachable_set(());
    let def_count = tcx.definitions_untracked().def_index_count();
    let mut carried = IndexVec::from_elem_n(CarriedMir::default(), def_count);
    for &def_id in tcx.mir_keys(()) {
        let (ctfe, opt) = should_encode_mir(tcx, reachable_set, def_id);
        let trivial = ctfe && tcx.trivial_const(def_id).is_some();
        carried[def_id] = CarriedMir { ctfe: ctfe && !trivial, opt, trivial };
    }
    carried
}

/// Opaque types and the associated types of traits have item bounds (see
/// `encode_explicit_item_bounds`); an impl's associated type has none.
fn has_item_bounds(tcx: TyCtxt<'_>, def_id: LocalDefId, def_kind: DefKind) -> bool {
    match def_kind {
        DefKind::OpaqueTy => true,
        DefKind::AssocTy => tcx.associated_item(def_id).container == AssocContainer::Trait,
        _ => false,
    }
}

/// Collects the local definitions that types, bounds and bodies mention.
struct MentionedDefs<'tcx> {
    found: Vec<LocalDefId>,
    /// Types already visited: signatures and bodies repeat them.
    seen: FxHashSet<Ty<'tcx>>,
}

impl MentionedDefs<'_> {
    fn add(&mut self, def_id: DefId) {
        if let Some(local) = def_id.as_local() {
            self.found.push(local);
        }
    }
}

impl<'tcx> TypeVisitor<TyCtxt<'tcx>> for MentionedDefs<'tcx> {
    fn visit_ty(&mut self, ty: Ty<'tcx>) {
        if !self.seen.insert(ty) {
            return;
        }
        match *ty.kind() {
            ty::Adt(adt, _) => self.add(adt.did()),
            ty::Foreign(def_id)
            | ty::FnDef(def_id, _)
            | ty::Closure(def_id, _)
            | ty::CoroutineClosure(def_id, _)
            | ty::Coroutine(def_id, _)
            | ty::CoroutineWitness(def_id, _) => self.add(def_id),
            ty::Alias(_, alias) => self.add(alias.def_id),
            ty::Dynamic(predicates, ..) => {
                for predicate in predicates {
                    match predicate.skip_binder() {
                        ty::ExistentialPredicate::Trait(t) => self.add(t.def_id),
                        ty::ExistentialPredicate::Projection(p) => self.add(p.def_id),
                        ty::ExistentialPredicate::AutoTrait(def_id) => self.add(def_id),
                    }
                }
            }
            _ => {}
        }
        ty.super_visit_with(self)
    }

    fn visit_const(&mut self, ct: ty::Const<'tcx>) {
        if let ty::ConstKind::Unevaluated(uv) = ct.kind() {
            self.add(uv.def);
        }
        ct.super_visit_with(self)
    }

    fn visit_predicate(&mut self, predicate: ty::Predicate<'tcx>) {
        match predicate.kind().skip_binder() {
            ty::PredicateKind::Clause(ty::ClauseKind::Trait(t)) => self.add(t.def_id()),
            ty::PredicateKind::Clause(ty::ClauseKind::Projection(p)) => {
                self.add(p.projection_term.def_id)
            }
            _ => {}
        }
        predicate.super_visit_with(self)
    }
}

/// Walks what `hash_item` hashes for `def_id`, to find the local definitions it mentions.
fn visit_item<'tcx>(
    tcx: TyCtxt<'tcx>,
    v: &mut MentionedDefs<'tcx>,
    def_id: LocalDefId,
    def_kind: DefKind,
    mir: CarriedMir,
) {
    if should_encode_type(tcx, def_id, def_kind) {
        tcx.type_of(def_id).skip_binder().visit_with(v);
    }
    if should_encode_fn_sig(def_kind) {
        tcx.fn_sig(def_id).skip_binder().visit_with(v);
    }
    if should_encode_generics(def_kind) {
        for (clause, _) in tcx.explicit_predicates_of(def_id).predicates {
            clause.visit_with(v);
        }
        for param in &tcx.generics_of(def_id).own_params {
            if let Some(default) = param.default_value(tcx) {
                default.skip_binder().visit_with(v);
            }
        }
    }
    if let DefKind::Impl { of_trait: true } = def_kind {
        let header = tcx.impl_trait_header(def_id);
        v.add(header.trait_ref.skip_binder().def_id);
        header.trait_ref.skip_binder().visit_with(v);
    }
    if has_item_bounds(tcx, def_id, def_kind) {
        for (clause, _) in tcx.explicit_item_bounds(def_id).skip_binder() {
            clause.visit_with(v);
        }
    }
    let mut bodies: Vec<&mir::Body<'tcx>> = Vec::new();
    if mir.opt {
        bodies.push(tcx.optimized_mir(def_id));
    }
    if mir.ctfe {
        bodies.push(tcx.mir_for_ctfe(def_id));
    }
    // A trivial const has no MIR, and building its promoteds would borrow-check it.
    if mir.has_body() {
        bodies.extend(tcx.promoted_mir(def_id).iter());
    }
    for body in bodies {
        body.visit_with(v);
        ReferencedConsts { tcx, found: v }.visit_body(body);
    }
    // A static's value can point to other statics, which CTFE in the dependent reads.
    if let DefKind::Static { .. } = def_kind
        && !tcx.is_foreign_item(def_id)
        && let Ok(alloc) = tcx.eval_static_initializer(def_id)
    {
        ReferencedConsts { tcx, found: v }.visit_alloc(alloc, &mut FxHashSet::default());
    }
}

/// Finds what a body's constants refer to by definition, which `TypeVisitable` does not show:
/// the constants it evaluates (`mir::Const::Unevaluated`), and the statics and functions its
/// values point to (a private static read by a public const: CTFE in the dependent reads the
/// static's value from the header).
struct ReferencedConsts<'a, 'tcx> {
    tcx: TyCtxt<'tcx>,
    found: &'a mut MentionedDefs<'tcx>,
}

impl<'tcx> ReferencedConsts<'_, 'tcx> {
    fn visit_alloc_id(&mut self, id: AllocId, seen: &mut FxHashSet<AllocId>) {
        if !seen.insert(id) {
            return;
        }
        match self.tcx.try_get_global_alloc(id) {
            Some(GlobalAlloc::Static(def_id)) => self.found.add(def_id),
            Some(GlobalAlloc::Function { instance }) => self.found.add(instance.def_id()),
            Some(GlobalAlloc::Memory(alloc)) => self.visit_alloc(alloc, seen),
            Some(GlobalAlloc::VTable(..) | GlobalAlloc::TypeId { .. }) | None => {}
        }
    }

    fn visit_alloc(&mut self, alloc: ConstAllocation<'tcx>, seen: &mut FxHashSet<AllocId>) {
        for (_, prov) in alloc.inner().provenance().ptrs().iter() {
            self.visit_alloc_id(prov.alloc_id(), seen);
        }
    }
}

impl<'tcx> mir::visit::Visitor<'tcx> for ReferencedConsts<'_, 'tcx> {
    fn visit_const_operand(&mut self, constant: &mir::ConstOperand<'tcx>, location: mir::Location) {
        match constant.const_ {
            mir::Const::Unevaluated(uv, _) => self.found.add(uv.def),
            mir::Const::Val(value, _) => {
                let mut seen = FxHashSet::default();
                match value {
                    mir::ConstValue::Scalar(interpret::Scalar::Ptr(ptr, _)) => {
                        self.visit_alloc_id(ptr.provenance.alloc_id(), &mut seen)
                    }
                    mir::ConstValue::Slice { alloc_id, .. }
                    | mir::ConstValue::Indirect { alloc_id, .. } => {
                        self.visit_alloc_id(alloc_id, &mut seen)
                    }
                    _ => {}
                }
            }
            mir::Const::Ty(..) => {}
        }
        self.super_const_operand(constant, location);
    }
}

/// Hashes what dependents read about one definition. Spans are hashed only where they reach a
/// dependent's output: in carried bodies (panic locations, debuginfo) and macro definitions.
fn hash_item<'tcx>(
    tcx: TyCtxt<'tcx>,
    hcx: &mut StableHashingContext<'_>,
    hasher: &mut StableHasher,
    positions: &mut SpanPositions<'tcx>,
    def_id: LocalDefId,
    mir: CarriedMir,
) {
    let reachable_set = tcx.reachable_set(());
    let features = tcx.features();
    let def_kind = tcx.def_kind(def_id);
    hcx.while_hashing_spans(false, |hcx| {
        def_kind.hash_stable(hcx, hasher);
        if should_encode_visibility(def_kind) {
            tcx.visibility(def_id).hash_stable(hcx, hasher);
        }
        if should_encode_attrs(def_kind) {
            // The attributes the encoder writes (see `encode_attrs`), without documentation.
            let mut state = AnalyzeAttrState { is_exported: false, is_doc_hidden: false, features };
            for attr in tcx.hir_attrs(tcx.local_def_id_to_hir_id(def_id)) {
                if attr.doc_str().is_none() && analyze_attr(attr, &mut state) {
                    attr.hash_stable(hcx, hasher);
                }
            }
        }
        if def_kind.has_codegen_attrs() {
            tcx.codegen_fn_attrs(def_id).hash_stable(hcx, hasher);
        }
        if should_encode_stability(def_kind) {
            // As in the encoder: only these crates can have stability attributes.
            if features.staged_api() || tcx.sess.opts.unstable_opts.force_unstable_if_unmarked {
                tcx.lookup_stability(def_id).hash_stable(hcx, hasher);
                tcx.lookup_const_stability(def_id).hash_stable(hcx, hasher);
            }
            tcx.lookup_deprecation_entry(def_id).hash_stable(hcx, hasher);
        }
        if should_encode_variances(tcx, def_id.to_def_id(), def_kind) {
            tcx.variances_of(def_id).hash_stable(hcx, hasher);
        }
        if should_encode_fn_sig(def_kind) {
            tcx.fn_sig(def_id).hash_stable(hcx, hasher);
        }
        if should_encode_generics(def_kind) {
            tcx.generics_of(def_id).hash_stable(hcx, hasher);
            tcx.explicit_predicates_of(def_id).hash_stable(hcx, hasher);
            tcx.inferred_outlives_of(def_id).hash_stable(hcx, hasher);
            // The defaults of its own parameters: `Slot<T = u32>` named as `Slot` is `Slot<u32>`
            // in the dependent (the encoder writes them as the parameters' `type_of` and
            // `const_param_default`).
            for param in &tcx.generics_of(def_id).own_params {
                param.default_value(tcx).map(|d| d.skip_binder()).hash_stable(hcx, hasher);
            }
        }
        if should_encode_type(tcx, def_id, def_kind) {
            tcx.type_of(def_id).skip_binder().hash_stable(hcx, hasher);
        }
        if should_encode_constness(def_kind) {
            tcx.constness(def_id).hash_stable(hcx, hasher);
        }
        if let DefKind::Fn | DefKind::AssocFn = def_kind {
            tcx.asyncness(def_id).hash_stable(hcx, hasher);
            // Callers' codegen uses them; they come from the body.
            if tcx.sess.opts.optimize != OptLevel::No
                && tcx.sess.opts.incremental.is_none()
                && tcx.mir_keys(()).contains(&def_id)
            {
                tcx.deduced_param_attrs(def_id).hash_stable(hcx, hasher);
            }
        }
        if let DefKind::Trait | DefKind::TraitAlias = def_kind {
            tcx.trait_def(def_id).hash_stable(hcx, hasher);
            tcx.explicit_super_predicates_of(def_id).skip_binder().hash_stable(hcx, hasher);
            tcx.explicit_implied_predicates_of(def_id).skip_binder().hash_stable(hcx, hasher);
        }
        if let DefKind::Trait | DefKind::Impl { .. } = def_kind {
            let items = tcx.associated_item_def_ids(def_id);
            let items: Vec<_> = items
                .iter()
                .filter(|&&item| {
                    matches!(def_kind, DefKind::Trait | DefKind::Impl { of_trait: true })
                        || tcx.effective_visibilities(()).is_reachable(item.expect_local())
                        || reachable_set.contains(&item.expect_local())
                })
                .map(|&item| tcx.def_path_hash(item))
                .collect();
            items.hash_stable(hcx, hasher);
        }
        if let DefKind::AssocFn | DefKind::AssocTy | DefKind::AssocConst = def_kind {
            let item = tcx.associated_item(def_id);
            item.hash_stable(hcx, hasher);
            item.defaultness(tcx).hash_stable(hcx, hasher);
        }
        if let DefKind::Impl { of_trait: true } = def_kind {
            tcx.impl_trait_header(def_id).hash_stable(hcx, hasher);
            tcx.defaultness(def_id).hash_stable(hcx, hasher);
        }
        if let DefKind::Struct | DefKind::Enum | DefKind::Union = def_kind {
            // Its fields are items of their own (`interface_items`), with their types.
            tcx.adt_def(def_id).hash_stable(hcx, hasher);
            tcx.adt_destructor(def_id).is_some().hash_stable(hcx, hasher);
        }
        if has_item_bounds(tcx, def_id, def_kind) {
            tcx.explicit_item_bounds(def_id).skip_binder().hash_stable(hcx, hasher);
        }
        if let DefKind::Static { .. } = def_kind
            && !tcx.is_foreign_item(def_id)
        {
            tcx.eval_static_initializer(def_id).ok().hash_stable(hcx, hasher);
        }
        if let DefKind::Mod = def_kind {
            // The names dependents resolve; private children cannot be named from outside.
            // Each public child's name and what it resolves to, the `Res` itself: a primitive
            // type has no `DefId`. Its re-export chain (the `use` items it went through) only
            // feeds diagnostics and rustdoc, and moves when an import is added above it.
            for child in tcx.module_children_local(def_id) {
                if child.vis.is_public() {
                    child.ident.name.as_str().hash(hasher);
                    child.res.hash_stable(hcx, hasher);
                }
            }
        }
        if let DefKind::Closure = def_kind
            && tcx.is_coroutine(def_id.to_def_id())
        {
            tcx.mir_coroutine_witnesses(def_id).hash_stable(hcx, hasher);
        }
    });

    if mir.has_body() || matches!(def_kind, DefKind::Macro(_)) {
        positions.hash_item_position(hasher, def_id);
    }
    if shims_take_its_span(tcx, def_id, def_kind) {
        positions.record_span(tcx.def_span(def_id));
        positions.hash_body_records(hasher);
    }
    // Carried bodies: their content without spans, then the position of each of their spans as
    // file, line and column, which is what panic locations and debuginfo are made of. (Hashed by
    // `HashStable`, a span in an incremental build is relative to its parent item, which can be
    // the whole module, so an edit above the item would move it.)
    hcx.while_hashing_spans(false, |hcx| {
        let mut bodies: Vec<&mir::Body<'_>> = Vec::new();
        if mir.opt {
            bodies.push(tcx.optimized_mir(def_id));
            tcx.cross_crate_inlinable(def_id).hash_stable(hcx, hasher);
            tcx.closure_saved_names_of_captured_variables(def_id).hash_stable(hcx, hasher);
        }
        if mir.ctfe {
            bodies.push(tcx.mir_for_ctfe(def_id));
        }
        if mir.trivial
            && let Some((value, _)) = tcx.trivial_const(def_id)
        {
            // Its type is the const's, hashed above.
            value.hash_stable(hcx, hasher);
        }
        if (mir.ctfe || mir.trivial) && should_encode_const(def_kind) {
            tcx.mir_const_qualif(def_id).hash_stable(hcx, hasher);
        }
        if mir.has_body() {
            bodies.extend(tcx.promoted_mir(def_id).iter());
        }
        for body in bodies {
            body.hash_stable(hcx, hasher);
            positions.visit_body(body);
            positions.hash_body_records(hasher);
        }
    });
    // A macro's tokens come from the parser, with absolute spans.
    if let DefKind::Macro(_) = def_kind
        && let hir::Node::Item(item) = tcx.hir_node_by_def_id(def_id)
        && let hir::ItemKind::Macro(_, macro_def, _) = item.kind
    {
        hcx.while_hashing_spans(true, |hcx| macro_def.hash_stable(hcx, hasher));
    }
}

/// Whether a dependent can build a shim of the fn whose MIR takes its spans from the fn's
/// `def_span` (`build_call_shim`): a panic location of a `#[track_caller]` fn as a pointer, and
/// the shim's debuginfo. A fn pointer to another non-generic fn names the upstream symbol, and a
/// carried body has its position hashed with its spans. The shims (`resolve_for_fn_ptr`,
/// `expect_resolve_for_vtable`): `ReifyShim` of a fn that requires the caller location and of a
/// virtual call (the trait's method), `VTableShim` (the trait's method), and under KCFI a
/// `ReifyShim` of any trait method or trait impl method.
fn shims_take_its_span(tcx: TyCtxt<'_>, def_id: LocalDefId, def_kind: DefKind) -> bool {
    match def_kind {
        DefKind::Fn | DefKind::AssocFn => {
            tcx.codegen_fn_attrs(def_id).flags.contains(CodegenFnAttrFlags::TRACK_CALLER)
                || (def_kind == DefKind::AssocFn
                    && (tcx.trait_of_assoc(def_id.to_def_id()).is_some()
                        || tcx.sess.is_sanitizer_kcfi_enabled()
                        || tcx.sess.is_sanitizer_cfi_enabled()))
        }
        _ => false,
    }
}

/// Records the position of every span of a MIR body, and of its macro call sites.
impl<'tcx> mir::visit::Visitor<'tcx> for SpanPositions<'tcx> {
    fn visit_span(&mut self, span: Span) {
        self.record_span(span);
    }
}

/// A span as file, 0-based line, byte and character column of its start, and length: what a
/// dependent reads from it, and what its own metadata records (see
/// `encode_portable_foreign_span`). Dummy spans, and spans that cross files, have no position.
///
/// Files are numbered in the order the hash first meets them, and a file's `StableSourceFileId`
/// is hashed once, after the body that gave it its number, so the number stands for the id. Where
/// dependents record upstream checksums (`header::interface_covers_checksums`), the file's checksums
/// are hashed with its id: a comment in a file that has spans in the interface then changes the
/// hash, and an edit of a file that has none (a file of private, non-generic code) does not.
#[derive(Clone, Copy)]
struct SpanPosition {
    /// The file's number, from `FIRST_FILE` on, or `DUMMY` or `CROSSES_FILES`.
    file: u32,
    line: u32,
    column: u32,
    char_column: u32,
    len: u32,
}

impl SpanPosition {
    const DUMMY: u32 = 0;
    const CROSSES_FILES: u32 = 1;
    const FIRST_FILE: u32 = 2;

    fn without_file(file: u32) -> Self {
        SpanPosition { file, line: 0, column: 0, char_column: 0, len: 0 }
    }

    /// Appends the position as LEB128 numbers, which need no separator. Most are below 128,
    /// so a position takes about 6 bytes rather than 20: spans are the bulk of what the hash
    /// covers, and hashing costs by the byte.
    fn record(self, records: &mut Vec<u8>) {
        for n in [self.file, self.line, self.column, self.column - self.char_column, self.len] {
            Self::record_number(n, records);
        }
    }

    fn record_number(mut n: u32, records: &mut Vec<u8>) {
        while n >= 0x80 {
            records.push(n as u8 | 0x80);
            n >>= 7;
        }
        records.push(n as u8);
    }
}

/// Finds and records span positions. MIR bodies repeat their spans, and neighbouring spans share
/// a file and often a line, so each span's record (its position, and its macro call site's if
/// different) is made once, and the last file and line are tried first.
struct SpanPositions<'tcx> {
    tcx: TyCtxt<'tcx>,
    /// The record of each span met so far (its position, and its call site's if different), as
    /// its range in `records`.
    known: FxHashMap<Span, (u32, u32)>,
    records: Vec<u8>,
    /// The records of the spans of the body being visited, hashed in one write.
    body_records: Vec<u8>,
    /// The number of each file met so far, by its first byte position.
    numbers: FxHashMap<BytePos, u32>,
    /// Files numbered since the last `hash_new_files`.
    new_files: Vec<(StableSourceFileId, SourceFileHash, Option<SourceFileHash>)>,
    /// Hash the checksums of the files, with their ids.
    checksums: bool,
    /// The file of the last position found, its number, and the last line found in it.
    last: Option<(Arc<SourceFile>, u32, usize)>,
}

impl<'tcx> SpanPositions<'tcx> {
    fn new(tcx: TyCtxt<'tcx>, checksums: bool) -> Self {
        SpanPositions {
            tcx,
            known: FxHashMap::default(),
            records: Vec::new(),
            body_records: Vec::new(),
            numbers: FxHashMap::default(),
            new_files: Vec::new(),
            checksums,
            last: None,
        }
    }

    /// Appends the record of `span` to the body's records.
    fn record_span(&mut self, span: Span) {
        let (start, len) = match self.known.get(&span) {
            Some(&known) => known,
            None => {
                let start = self.records.len();
                let position = self.position(span);
                // Every call site of its macro backtrace, not only the outermost: debuginfo of a
                // span in a macro whose debuginfo collapses stops at an intermediate one
                // (`collapsed_debuginfo`).
                let mut callsites = Vec::new();
                let mut inner = span;
                while !inner.ctxt().is_root() {
                    let callsite = inner.ctxt().outer_expn_data().call_site;
                    callsites.push(self.position(callsite));
                    inner = callsite;
                }
                position.record(&mut self.records);
                SpanPosition::record_number(callsites.len() as u32, &mut self.records);
                for callsite in callsites {
                    callsite.record(&mut self.records);
                }
                let known = (start as u32, (self.records.len() - start) as u32);
                self.known.insert(span, known);
                known
            }
        };
        let start = start as usize;
        self.body_records.extend_from_slice(&self.records[start..start + len as usize]);
    }

    /// Hashes the records of the body just visited, after the files it numbered.
    fn hash_body_records(&mut self, hasher: &mut StableHasher) {
        self.hash_new_files(hasher);
        self.body_records.len().hash(hasher);
        hasher.write(&self.body_records);
        self.body_records.clear();
    }

    fn position(&mut self, span: Span) -> SpanPosition {
        let data = span.data_untracked();
        if data.is_dummy() {
            return SpanPosition::without_file(SpanPosition::DUMMY);
        }
        let (file, number, line) = self.file(data.lo);
        if !file.contains(data.hi) {
            return SpanPosition::without_file(SpanPosition::CROSSES_FILES);
        }
        let (line, column, char_column) = line_and_columns(file, line, data.lo);
        self.last.as_mut().unwrap().2 = line;
        SpanPosition {
            file: number,
            line: line as u32,
            column,
            char_column,
            len: data.hi.0 - data.lo.0,
        }
    }

    /// Where a carried body or macro sits: its file, first line and column.
    fn hash_item_position(&mut self, hasher: &mut StableHasher, def_id: LocalDefId) {
        let lo = self.tcx.source_span(def_id).lo();
        let (file, number, line) = self.file(lo);
        let (line, _, char_column) = line_and_columns(file, line, lo);
        self.last.as_mut().unwrap().2 = line;
        self.hash_new_files(hasher);
        (number, line, char_column).hash(hasher);
    }

    /// Hashes the ids of the files numbered since the last call, in the order they were
    /// numbered, and their checksums if dependents record them.
    fn hash_new_files(&mut self, hasher: &mut StableHasher) {
        self.new_files.len().hash(hasher);
        for (id, src_hash, checksum_hash) in self.new_files.drain(..) {
            id.hash(hasher);
            if self.checksums {
                src_hash.hash(hasher);
                checksum_hash.hash(hasher);
            }
        }
    }

    /// The file that contains `pos`, its number, and the last line found in it.
    fn file(&mut self, pos: BytePos) -> (&SourceFile, u32, usize) {
        if !self.last.as_ref().is_some_and(|(file, ..)| file.contains(pos)) {
            let file = self.tcx.sess.source_map().lookup_source_file(pos);
            let next = SpanPosition::FIRST_FILE + self.numbers.len() as u32;
            let number = *self.numbers.entry(file.start_pos).or_insert_with(|| {
                self.new_files.push((file.stable_id, file.src_hash, file.checksum_hash));
                next
            });
            self.last = Some((file, number, 0));
        }
        let (file, number, line) = self.last.as_ref().unwrap();
        (file, *number, *line)
    }
}

/// The 0-based line of `pos` in `file`, and its byte and character columns; `near` is a line to
/// try first. The character column counts only the multibyte characters of that line:
/// `SourceMap::lookup_char_pos` counts them from the start of the file, which is slow for every
/// span of a large non-ASCII file.
fn line_and_columns(file: &SourceFile, near: usize, pos: BytePos) -> (usize, u32, u32) {
    let pos = file.relative_position(pos);
    let lines = file.lines();
    let on_line = |line: usize| {
        lines.get(line).is_some_and(|&start| start <= pos)
            && lines.get(line + 1).is_none_or(|&next| pos < next)
    };
    let line = if on_line(near) {
        near
    } else if on_line(near + 1) {
        near + 1
    } else {
        file.lookup_line(pos).unwrap_or(0)
    };
    let line_start = lines.get(line).copied().unwrap_or(pos);
    let column = pos.0 - line_start.0;
    let chars = &file.multibyte_chars;
    if chars.is_empty() {
        return (line, column, column);
    }
    let first = chars.partition_point(|c| c.pos < line_start);
    let extra: u32 =
        chars[first..].iter().take_while(|c| c.pos < pos).map(|c| u32::from(c.bytes) - 1).sum();
    (line, column, column - extra)
}
