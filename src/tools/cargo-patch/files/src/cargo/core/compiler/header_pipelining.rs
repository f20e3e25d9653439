//! `-Z header-pipelining`: units that link start on their dependencies' headers.
//!
//! Stock pipelining lets a library start once the `.rmeta` of each library it depends on exists.
//! A unit that links (a binary, a test harness, an example, a cdylib or a staticlib) still waits
//! for every rlib it links. Under `-Z header-pipelining`:
//!
//! * library units are compiled with `rustc -Z emit-header`, which makes their `.rmeta` a
//!   *header*: it carries what a dependent needs to generate code against the library;
//! * a unit that links is compiled with `-Z consume-headers -Z no-link` as soon as the headers
//!   of its dependencies exist, leaving its objects and an `.rlink`;
//! * its link, `rustc -Z link-only -Z consume-headers <unit>.rlink`, runs in the same job once
//!   every rlib it links is finished. While it waits the job holds no job slot (see
//!   `DrainState::await_link_deps`), and `--timings` shows the wait and the link as sections of
//!   the unit;
//! * with `-Z link-if-ready`, rustc links at once, in the compile, when every rlib the unit links
//!   was already finished by the end of its code generation (it reports the linked file); the
//!   job then has no link step, which saves a rustc process per unit that links.
//!
//! Proc-macros, build scripts and dylibs are built as before, and so is a unit whose profile
//! asks for cross-crate LTO, which reads the upstream rlibs while generating code.
//!
//! Early cutoff. Library units also compile with `-Z consume-headers`, so every unit compiled
//! against a header depends on the header's *interface hash* rather than on the library's
//! bodies. Each header's hash (from rustc's artifact notification) is kept in the library's
//! fingerprint directory (`interface-hash`), and each unit records the hashes it was compiled
//! against (`dep-interfaces`). When such a dependency is rebuilt, the dependent is not known to
//! be stale: its job starts once the new header exists, and compares. If every hash is
//! unchanged, a library is left as it is and a unit that links only runs its link step
//! ("Relinking"); otherwise it is compiled as usual. A chain of libraries stops rebuilding at
//! the first unchanged header.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use cargo_util::ProcessBuilder;

use crate::core::TargetKind;
use crate::core::compiler::build_runner::OutputFile;
use crate::core::compiler::{
    BuildContext, BuildRunner, CompileMode, CrateType, FileFlavor, Unit, lto,
};
use crate::util::errors::CargoResult;
use anyhow::Context as _;
use cargo_util::paths;

/// Whether the flag is on.
pub fn enabled(bcx: &BuildContext<'_, '_>) -> bool {
    bcx.gctx.cli_unstable().header_pipelining
}

/// Whether `unit` writes a header: a library built as an rlib only.
pub fn emits_header(bcx: &BuildContext<'_, '_>, unit: &Unit) -> bool {
    enabled(bcx)
        && unit.mode == CompileMode::Build
        && unit.target.is_lib()
        && !unit.requires_upstream_objects()
}

/// Whether `unit` is compiled against its dependencies' headers and linked in a second step.
pub fn consumes_headers(build_runner: &BuildRunner<'_, '_>, unit: &Unit) -> bool {
    if !enabled(build_runner.bcx)
        || !matches!(unit.mode, CompileMode::Build | CompileMode::Test)
        || !unit.requires_upstream_objects()
        || unit.target.is_custom_build()
        || unit.target.proc_macro()
    {
        return false;
    }
    if matches!(
        unit.target.kind(),
        TargetKind::Lib(_) | TargetKind::ExampleLib(_)
    ) {
        // A library that links: only the C-facing kinds, which nothing else links against.
        let kinds = unit.target.rustc_crate_types();
        if !kinds
            .iter()
            .all(|k| matches!(k, CrateType::Cdylib | CrateType::Staticlib))
        {
            return false;
        }
    }
    // Cross-crate LTO reads the upstream rlibs' bitcode while generating code.
    !matches!(build_runner.lto.get(unit), Some(lto::Lto::Run(_)))
}

/// Whether `parent` only needs the header of `dep` to be compiled.
pub fn compiles_against_header(
    build_runner: &BuildRunner<'_, '_>,
    parent: &Unit,
    dep: &Unit,
) -> bool {
    consumes_headers(build_runner, parent) && emits_header(build_runner.bcx, dep)
}

/// The flags that make a unit write or consume headers.
pub fn add_rustc_args(build_runner: &BuildRunner<'_, '_>, unit: &Unit, cmd: &mut ProcessBuilder) {
    if emits_header(build_runner.bcx, unit) {
        // A library compiles against its dependencies' headers anyway (pipelining); with
        // `-Z consume-headers` it records their interface hashes, not their crate hashes.
        cmd.arg("-Z")
            .arg("emit-header")
            .arg("-Z")
            .arg("consume-headers");
    }
    if consumes_headers(build_runner, unit) {
        cmd.arg("-Z")
            .arg("consume-headers")
            .arg("-Z")
            .arg("no-link")
            .arg("-Z")
            .arg("link-if-ready");
    }
}

/// The link step of a unit compiled against headers: the compile command (whose flags the link
/// needs: target, linker, link arguments, native library search paths, diagnostics format) with
/// the source file replaced by the `.rlink`, and `-Z no-link -Z link-if-ready` by `-Z link-only`.
pub fn link_command(compile: &ProcessBuilder, source: &Path, rlink: &Path) -> ProcessBuilder {
    let mut link = compile.clone();
    let mut args: Vec<OsString> = Vec::new();
    let mut compile_args = compile.get_args().peekable();
    while let Some(arg) = compile_args.next() {
        if Path::new(arg) == source {
            continue;
        }
        if arg == "-Z"
            && compile_args
                .peek()
                .is_some_and(|next| *next == "no-link" || *next == "link-if-ready")
        {
            compile_args.next();
            continue;
        }
        args.push(arg.clone());
    }
    args.push("-Z".into());
    args.push("link-only".into());
    args.push(rlink.as_os_str().to_owned());
    link.args_replace(&args);
    link
}

/// Fails with a clear error when the flag is on and rustc cannot compile against headers.
pub fn check_rustc_support(bcx: &BuildContext<'_, '_>) -> CargoResult<()> {
    if !enabled(bcx) {
        return Ok(());
    }
    let rustc = bcx.rustc();
    let mut cmd = rustc.workspace_process();
    cmd.arg("-Z").arg("help");
    let supported = rustc
        .cached_output(&cmd, 0)
        .map(|(out, _)| {
            ["emit-header", "consume-headers", "link-if-ready"]
                .iter()
                .all(|flag| out.contains(flag))
        })
        .unwrap_or(false);
    if !supported {
        anyhow::bail!(
            "`-Z header-pipelining` needs a rustc with `-Z emit-header`, `-Z consume-headers` and \
             `-Z link-if-ready`, and `{}` does not have them\n\
             help: use the rust-headers toolchain (`cargo +headers`), or drop `-Z header-pipelining`",
            rustc.path.display()
        );
    }
    Ok(())
}

/// Whether `parent` is compiled against the header of `dep` with `-Z consume-headers`, so that it
/// stays valid while `dep`'s interface hash is unchanged.
pub fn cutoff_edge(build_runner: &BuildRunner<'_, '_>, parent: &Unit, dep: &Unit) -> bool {
    emits_header(build_runner.bcx, dep)
        && (emits_header(build_runner.bcx, parent) || consumes_headers(build_runner, parent))
}

/// Where a library unit keeps the interface hash of its header.
pub fn interface_hash_file(build_runner: &BuildRunner<'_, '_>, unit: &Unit) -> PathBuf {
    build_runner
        .files()
        .fingerprint_dir(unit)
        .join("interface-hash")
}

/// Where a unit keeps the interface hashes of the headers it was compiled against.
pub fn recorded_interfaces_file(build_runner: &BuildRunner<'_, '_>, unit: &Unit) -> PathBuf {
    build_runner
        .files()
        .fingerprint_dir(unit)
        .join("dep-interfaces")
}

/// The interface hash in `file`, if any.
pub fn read_interface_hash(file: &Path) -> Option<String> {
    let hash = paths::read(file).ok()?;
    let hash = hash.trim();
    (!hash.is_empty()).then(|| hash.to_owned())
}

/// Records the interface hash of a header as its notification arrives, before dependents start.
pub fn record_interface_hash(file: &Path, hash: Option<&str>) -> CargoResult<()> {
    match hash {
        Some(hash) => paths::write(file, hash),
        None => {
            if file.exists() {
                paths::remove_file(file)?;
            }
            Ok(())
        }
    }
}

/// What a unit records for a dependency whose crate hash, not its interface hash, it recorded:
/// rustc does so where the unit's outputs record upstream sources (bitcode with debuginfo,
/// DWARF 5). Such an edge is an ordinary one: the unit is rebuilt whenever the dependency is.
const WHOLE_CRATE: &str = "crate";

/// The hashes a unit recorded: by dependency interface file.
pub fn read_recorded_interfaces(file: &Path) -> HashMap<PathBuf, String> {
    let Ok(text) = paths::read(file) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let (hash, path) = line.split_once(' ')?;
            Some((PathBuf::from(path), hash.to_owned()))
        })
        .collect()
}

/// Whether the unit that recorded `recorded` depends on the whole crate behind the interface
/// file `file` rather than on its interface: the edge then cannot be cut off.
pub fn records_whole_crate(recorded: &HashMap<PathBuf, String>, file: &Path) -> bool {
    recorded.get(file).is_some_and(|hash| hash == WHOLE_CRATE)
}

/// The hashes rustc recorded for the headers it read, from the `# header-dep:<hash> <path>`
/// lines of its dep-info file (`-Z consume-headers`): by the header's file name, which cargo
/// makes unique (`lib<name>-<metadata>.rmeta`) and which does not depend on how rustc spelled the
/// path (canonical for `--extern`, as searched for `-L dependency=`). `None` if the file cannot
/// be read.
fn read_recorded_by_rustc(rustc_dep_info: &Path) -> Option<HashMap<OsString, String>> {
    let text = paths::read(rustc_dep_info).ok()?;
    Some(
        text.lines()
            .filter_map(|line| {
                let (hash, path) = line.strip_prefix("# header-dep:")?.split_once(' ')?;
                let path = PathBuf::from(path.replace("\\ ", " "));
                Some((path.file_name()?.to_owned(), hash.to_owned()))
            })
            .collect(),
    )
}

/// A cut-off library keeps its outputs, but they must look rebuilt to a dependent over an
/// ordinary edge (a proc-macro, a build script, a dylib, a unit with cross-crate LTO, a unit that
/// recorded the crate hash): without cutoff the library would have been rebuilt, and such a
/// dependent compares mtimes, also in a later cargo run (`cargo build -p lib`, then
/// `cargo build`). Cutoff edges compare interface hashes and are not affected. A library over a
/// dependency rebuilt in a run it was not part of (`cargo build -p a`) is pending in the next run
/// for that reason (`check_filesystem`), and cut off there.
pub fn cut_off_outputs_look_rebuilt(
    outputs: &[OutputFile],
    now: filetime::FileTime,
) -> CargoResult<()> {
    for output in outputs {
        if output.path.exists() {
            filetime::set_file_mtime(&output.path, now).with_context(|| {
                format!("failed to set the mtime of `{}`", output.path.display())
            })?;
        }
    }
    Ok(())
}

/// The headers a unit is compiled against, with their interface files.
#[derive(Clone, Default)]
pub struct HeaderDeps {
    /// `(dependency name, its interface hash file)`: the unit's cutoff edges.
    deps: Vec<(String, PathBuf)>,
    /// Every header the unit can read, its dependencies' and theirs: `(header, interface file)`.
    headers: Vec<(PathBuf, PathBuf)>,
    /// Where the unit records the hashes it was compiled against.
    record: PathBuf,
}

impl HeaderDeps {
    pub fn new(build_runner: &BuildRunner<'_, '_>, unit: &Unit) -> CargoResult<HeaderDeps> {
        let deps: Vec<_> = build_runner
            .unit_deps(unit)
            .iter()
            .filter(|dep| cutoff_edge(build_runner, unit, &dep.unit))
            .map(|dep| dep.unit.clone())
            .collect();
        // The headers below the cutoff edges: rustc reads their crates' headers too.
        let mut headers = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = deps.clone();
        while let Some(dep) = stack.pop() {
            if !seen.insert(dep.clone()) {
                continue;
            }
            let outputs = build_runner.outputs(&dep)?;
            if let Some(header) = outputs.iter().find(|o| o.flavor == FileFlavor::Rmeta) {
                headers.push((header.path.clone(), interface_hash_file(build_runner, &dep)));
            }
            stack.extend(
                build_runner
                    .unit_deps(&dep)
                    .iter()
                    .filter(|d| emits_header(build_runner.bcx, &d.unit))
                    .map(|d| d.unit.clone()),
            );
        }
        Ok(HeaderDeps {
            deps: deps
                .iter()
                .map(|dep| {
                    let name = dep.pkg.name().to_string();
                    (name, interface_hash_file(build_runner, dep))
                })
                .collect(),
            headers,
            record: recorded_interfaces_file(build_runner, unit),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.deps.is_empty()
    }

    /// The interface hashes of the headers now, as a compile is about to read them.
    pub fn current(&self) -> Vec<(PathBuf, Option<String>)> {
        self.deps
            .iter()
            .map(|(_, file)| (file.clone(), read_interface_hash(file)))
            .collect()
    }

    /// Before a compile: nothing recorded, so that an interrupted compile is compiled again.
    pub fn clear(&self) -> CargoResult<()> {
        paths::write(&self.record, "")
    }

    /// After a successful compile: remember what it was compiled against, as rustc recorded it
    /// (its dep-info lists the hash it recorded for each header it read). A dependency it
    /// recorded by crate hash is recorded as a whole crate; one rustc did not load keeps the
    /// interface hash it had when the compile started.
    pub fn record(
        &self,
        current: &[(PathBuf, Option<String>)],
        rustc_dep_info: &Path,
    ) -> CargoResult<()> {
        // Without rustc's word, nothing is recorded: the unit is compiled again next time.
        let Some(by_rustc) = read_recorded_by_rustc(rustc_dep_info) else {
            return self.clear();
        };
        let mut recorded: Vec<(PathBuf, String)> = current
            .iter()
            .filter_map(|(file, hash)| Some((file.clone(), hash.clone()?)))
            .collect();
        for (header, file) in &self.headers {
            let Some(hash) = header.file_name().and_then(|name| by_rustc.get(name)) else {
                continue;
            };
            let interface = read_interface_hash(file);
            let hash = if interface.as_ref() == Some(hash) {
                hash.clone()
            } else {
                WHOLE_CRATE.to_owned()
            };
            match recorded.iter_mut().find(|(f, _)| f == file) {
                Some(entry) => entry.1 = hash,
                None => recorded.push((file.clone(), hash)),
            }
        }
        let mut text = String::new();
        for (file, hash) in &recorded {
            text.push_str(&format!("{hash} {}\n", file.display()));
        }
        paths::write(&self.record, text)
    }

    /// Early cutoff: the names of the dependencies whose headers were rebuilt, if every
    /// interface hash the unit recorded (for its dependencies and the crates below them) is
    /// unchanged; `None` if one changed or is unknown, or the unit recorded a whole crate.
    pub fn unchanged(&self) -> Option<Vec<String>> {
        let recorded = read_recorded_interfaces(&self.record);
        for (file, hash) in &recorded {
            if hash == WHOLE_CRATE || read_interface_hash(file).as_ref() != Some(hash) {
                return None;
            }
        }
        let mut names = Vec::new();
        for (name, file) in &self.deps {
            let now = read_interface_hash(file)?;
            if recorded.get(file) != Some(&now) {
                return None;
            }
            names.push(name.clone());
        }
        Some(names)
    }
}
