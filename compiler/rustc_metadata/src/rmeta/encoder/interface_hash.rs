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

use std::hash::Hash;
use std::sync::Arc;

use rustc_data_structures::fingerprint::Fingerprint;
use rustc_data_structures::fx::{FxHashMap, FxIndexSet};
use rustc_data_structures::stable_hasher::{HashStable, StableHasher};
use rustc_middle::ich::StableHashingContext;
use rustc_middle::middle::privacy::Level;
use rustc_middle::mir::visit::Visitor as _;
use rustc_middle::ty::{TypeSuperVisitable, TypeVisitable, TypeVisitor};
use rustc_span::{BytePos, SourceFile, StableSourceFileId};

use super::*;

/// Computes the interface hash of the local crate. Only meaningful for a build that generates
/// code: the bodies and symbols it covers are those of the codegen-mode metadata.
pub(crate) fn interface_hash(tcx: TyCtxt<'_>) -> Svh {
    let items = interface_items(tcx);
    let fingerprint: Fingerprint = tcx.with_stable_hashing_context(|mut hcx| {
        let mut hasher = StableHasher::new();
        hash_crate(tcx, &mut hcx, &mut hasher);
        let mut items: Vec<_> = items
            .into_iter()
            .map(|def_id| (tcx.def_path_hash(def_id.to_def_id()), def_id))
            .collect();
        items.sort_unstable_by_key(|&(hash, _)| hash);
        items.len().hash_stable(&mut hcx, &mut hasher);
        let mut positions = SpanPositions::new(tcx);
        for (def_path_hash, def_id) in items {
            def_path_hash.hash_stable(&mut hcx, &mut hasher);
            hash_item(tcx, &mut hcx, &mut hasher, &mut positions, def_id);
        }
        hasher.finish()
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
        // What each dependency was compiled as, as this crate saw it: under
        // `-Z consume-headers` an upstream's `crate_hash` is its interface hash.
        let mut deps: Vec<_> = tcx
            .crates(())
            .iter()
            .map(|&cnum| {
                (
                    tcx.stable_crate_id(cnum),
                    tcx.crate_name(cnum).to_string(),
                    tcx.crate_hash(cnum),
                    format!("{:?}", tcx.crate_dep_kind(cnum)),
                    tcx.extra_filename(cnum).as_str(),
                )
            })
            .collect();
        deps.sort_unstable_by_key(|dep| dep.0);
        for dep in deps {
            dep.hash(hasher);
        }
        tcx.exported_non_generic_symbols(LOCAL_CRATE).hash_stable(hcx, hasher);
        tcx.exported_generic_symbols(LOCAL_CRATE).hash_stable(hcx, hasher);
        tcx.native_libraries(LOCAL_CRATE).hash_stable(hcx, hasher);
        tcx.lang_items().hash_stable(hcx, hasher);
        tcx.debugger_visualizers(LOCAL_CRATE).hash_stable(hcx, hasher);
        if tcx.crate_types().contains(&CrateType::Dylib) {
            tcx.dependency_formats(()).hash_stable(hcx, hasher);
        }
    });
}

/// The definitions a dependent can observe: the crate's reachable items, every trait impl,
/// every body the header carries, and, closed over, the local definitions mentioned by their
/// types, bounds and bodies (a private field's type still decides a public type's layout; a
/// private helper called from an inlinable body is still a symbol the dependent links to).
fn interface_items(tcx: TyCtxt<'_>) -> FxIndexSet<LocalDefId> {
    let effective_visibilities = tcx.effective_visibilities(());
    let reachable_set = tcx.reachable_set(());
    let mut roots: Vec<LocalDefId> = vec![CRATE_DEF_ID];
    for def_id in tcx.iter_local_def_id() {
        let reachable = effective_visibilities
            .effective_vis(def_id)
            .is_some_and(|vis| vis.is_public_at_level(Level::ReachableThroughImplTrait));
        let (ctfe, opt) = encoded_mir(tcx, def_id);
        if reachable
            || reachable_set.contains(&def_id)
            || ctfe
            || opt
            || matches!(tcx.def_kind(def_id), DefKind::Impl { of_trait: true })
        {
            roots.push(def_id);
        }
    }

    let mut items = FxIndexSet::default();
    let mut mentioned = MentionedDefs { found: Vec::new() };
    while let Some(def_id) = roots.pop() {
        if !items.insert(def_id) {
            continue;
        }
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
                for field in &variant.fields {
                    roots.push(field.did.expect_local());
                }
            }
        }
        visit_item(tcx, &mut mentioned, def_id, def_kind);
        roots.extend(mentioned.found.drain(..));
    }
    items
}

/// Which MIR the header carries for `def_id`, as `(for CTFE, optimized)` (see `encode_mir`).
fn encoded_mir(tcx: TyCtxt<'_>, def_id: LocalDefId) -> (bool, bool) {
    if !tcx.mir_keys(()).contains(&def_id) {
        return (false, false);
    }
    should_encode_mir(tcx, tcx.reachable_set(()), def_id)
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
struct MentionedDefs {
    found: Vec<LocalDefId>,
}

impl MentionedDefs {
    fn add(&mut self, def_id: DefId) {
        if let Some(local) = def_id.as_local() {
            self.found.push(local);
        }
    }
}

impl<'tcx> TypeVisitor<TyCtxt<'tcx>> for MentionedDefs {
    fn visit_ty(&mut self, ty: Ty<'tcx>) {
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
    v: &mut MentionedDefs,
    def_id: LocalDefId,
    def_kind: DefKind,
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
    let (ctfe, opt) = encoded_mir(tcx, def_id);
    if opt {
        tcx.optimized_mir(def_id).visit_with(v);
    }
    let trivial = ctfe && tcx.trivial_const(def_id).is_some();
    if ctfe && !trivial {
        tcx.mir_for_ctfe(def_id).visit_with(v);
    }
    if (ctfe || opt) && !trivial {
        tcx.promoted_mir(def_id).visit_with(v);
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
) {
    let reachable_set = tcx.reachable_set(());
    let def_kind = tcx.def_kind(def_id);
    hcx.while_hashing_spans(false, |hcx| {
        def_kind.hash_stable(hcx, hasher);
        if should_encode_visibility(def_kind) {
            tcx.visibility(def_id).hash_stable(hcx, hasher);
        }
        if should_encode_attrs(def_kind) {
            for attr in tcx.hir_attrs(tcx.local_def_id_to_hir_id(def_id)) {
                if attr.doc_str().is_none() {
                    attr.hash_stable(hcx, hasher);
                }
            }
        }
        if def_kind.has_codegen_attrs() {
            tcx.codegen_fn_attrs(def_id).hash_stable(hcx, hasher);
        }
        if should_encode_stability(def_kind) {
            // As in the encoder: only these crates can have stability attributes.
            if tcx.features().staged_api() || tcx.sess.opts.unstable_opts.force_unstable_if_unmarked
            {
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
        }
        if should_encode_type(tcx, def_id, def_kind) {
            tcx.type_of(def_id).hash_stable(hcx, hasher);
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
            let adt = tcx.adt_def(def_id);
            adt.hash_stable(hcx, hasher);
            for variant in adt.variants() {
                for field in &variant.fields {
                    field.vis.hash_stable(hcx, hasher);
                    tcx.type_of(field.did).hash_stable(hcx, hasher);
                }
            }
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
            for child in tcx.module_children_local(def_id) {
                if child.vis.is_public() {
                    child.ident.name.as_str().hash(hasher);
                    child.res.opt_def_id().hash_stable(hcx, hasher);
                }
            }
        }
        if let DefKind::Closure = def_kind
            && tcx.is_coroutine(def_id.to_def_id())
        {
            tcx.mir_coroutine_witnesses(def_id).hash_stable(hcx, hasher);
        }
    });

    let (ctfe, opt) = encoded_mir(tcx, def_id);
    let trivial = ctfe && tcx.trivial_const(def_id).is_some();
    if (ctfe && !trivial) || opt || matches!(def_kind, DefKind::Macro(_)) {
        positions.hash_item_position(hasher, def_id);
    }
    // Carried bodies: their content without spans, then the position of each of their spans as
    // file, line and column, which is what panic locations and debuginfo are made of. (Hashed by
    // `HashStable`, a span in an incremental build is relative to its parent item, which can be
    // the whole module, so an edit above the item would move it.)
    hcx.while_hashing_spans(false, |hcx| {
        let mut bodies: Vec<&mir::Body<'_>> = Vec::new();
        if opt {
            bodies.push(tcx.optimized_mir(def_id));
            tcx.cross_crate_inlinable(def_id).hash_stable(hcx, hasher);
            tcx.closure_saved_names_of_captured_variables(def_id).hash_stable(hcx, hasher);
        }
        if ctfe {
            match tcx.trivial_const(def_id) {
                Some(value) => value.hash_stable(hcx, hasher),
                None => bodies.push(tcx.mir_for_ctfe(def_id)),
            }
            if should_encode_const(def_kind) {
                tcx.mir_const_qualif(def_id).hash_stable(hcx, hasher);
            }
        }
        // A trivial const has no MIR, and building its promoteds would borrow-check it.
        if (ctfe || opt) && !trivial {
            bodies.extend(tcx.promoted_mir(def_id).iter());
        }
        for body in bodies {
            body.hash_stable(hcx, hasher);
            BodySpans { positions: &mut *positions, hasher: &mut *hasher }.visit_body(body);
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

/// Hashes the position of every span of a MIR body, and of its macro call site.
struct BodySpans<'a, 'tcx> {
    positions: &'a mut SpanPositions<'tcx>,
    hasher: &'a mut StableHasher,
}

impl<'tcx> mir::visit::Visitor<'tcx> for BodySpans<'_, 'tcx> {
    fn visit_span(&mut self, span: Span) {
        self.positions.of_span(span).hash(self.hasher);
    }
}

/// A span as file, 0-based line, byte and character column of its start, and length: what a
/// dependent reads from it, and what its own metadata records (see
/// `encode_portable_foreign_span`). Dummy spans, and spans that cross files, have no position.
#[derive(Clone, Copy, Hash)]
enum SpanPosition {
    Dummy,
    CrossesFiles,
    In { file: StableSourceFileId, line: usize, column: u32, char_column: u32, len: u32 },
}

/// Finds span positions. MIR bodies repeat their spans, and neighbouring spans share a file, so
/// each span's position (with that of its macro call site, if different) is found once.
struct SpanPositions<'tcx> {
    tcx: TyCtxt<'tcx>,
    known: FxHashMap<Span, (SpanPosition, Option<SpanPosition>)>,
    last_file: Option<Arc<SourceFile>>,
}

impl<'tcx> SpanPositions<'tcx> {
    fn new(tcx: TyCtxt<'tcx>) -> Self {
        SpanPositions { tcx, known: FxHashMap::default(), last_file: None }
    }

    fn of_span(&mut self, span: Span) -> (SpanPosition, Option<SpanPosition>) {
        if let Some(&known) = self.known.get(&span) {
            return known;
        }
        let callsite = span.source_callsite();
        let position = (
            self.position(span),
            if callsite != span { Some(self.position(callsite)) } else { None },
        );
        self.known.insert(span, position);
        position
    }

    fn position(&mut self, span: Span) -> SpanPosition {
        let data = span.data_untracked();
        if data.is_dummy() {
            return SpanPosition::Dummy;
        }
        let file = self.file(data.lo);
        if !file.contains(data.hi) {
            return SpanPosition::CrossesFiles;
        }
        let (line, column, char_column) = line_and_columns(&file, data.lo);
        SpanPosition::In {
            file: file.stable_id,
            line,
            column,
            char_column,
            len: data.hi.0 - data.lo.0,
        }
    }

    /// Where a carried body or macro sits: its file, first line and column.
    fn hash_item_position(&mut self, hasher: &mut StableHasher, def_id: LocalDefId) {
        let lo = self.tcx.source_span(def_id).lo();
        let file = self.file(lo);
        let (line, _, char_column) = line_and_columns(&file, lo);
        (file.stable_id, line, char_column).hash(hasher);
    }

    fn file(&mut self, pos: BytePos) -> Arc<SourceFile> {
        match &self.last_file {
            Some(file) if file.contains(pos) => Arc::clone(file),
            _ => {
                let file = self.tcx.sess.source_map().lookup_source_file(pos);
                self.last_file = Some(Arc::clone(&file));
                file
            }
        }
    }
}

/// The 0-based line of `pos` in `file`, and its byte and character columns. The character
/// column counts only the multibyte characters of that line: `SourceMap::lookup_char_pos` counts
/// them from the start of the file, which is slow for every span of a large non-ASCII file.
fn line_and_columns(file: &SourceFile, pos: BytePos) -> (usize, u32, u32) {
    let pos = file.relative_position(pos);
    let line = file.lookup_line(pos).unwrap_or(0);
    let line_start = file.lines().get(line).copied().unwrap_or(pos);
    let column = pos.0 - line_start.0;
    let chars = &file.multibyte_chars;
    let first = chars.partition_point(|c| c.pos < line_start);
    let extra: u32 =
        chars[first..].iter().take_while(|c| c.pos < pos).map(|c| u32::from(c.bytes) - 1).sum();
    (line, column, column - extra)
}
