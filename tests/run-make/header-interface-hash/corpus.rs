// The edit corpus (`edits.txt`): parsing and applying edits. Included by this directory's
// rmake.rs (the rustc oracle) and by tests/run-make-cargo/header-cutoff (cargo's early cutoff).

/// The profiles a verdict can name, in the order of `Edit::unchanged`.
const CORPUS_PROFILES: [&str; 2] = ["debug", "release"];

struct Hunk {
    path: String,
    before: String,
    after: String,
}

struct Edit {
    name: String,
    /// Expected verdict per profile: `true` if the interface hash must not change.
    unchanged: [bool; 2],
    hunks: Vec<Hunk>,
}

fn parse_verdict(word: &str, name: &str) -> [bool; 2] {
    let one = |w: &str| match w {
        "unchanged" => true,
        "changed" => false,
        _ => panic!("edit {name}: bad verdict {w:?}"),
    };
    if !word.contains('=') {
        return [one(word); 2];
    }
    let mut verdict = [None; 2];
    for part in word.split(',') {
        let (profile, w) = part.split_once('=').expect("profile=verdict");
        let index = CORPUS_PROFILES.iter().position(|p| *p == profile).expect("known profile");
        verdict[index] = Some(one(w));
    }
    verdict.map(|v| v.unwrap_or_else(|| panic!("edit {name}: a verdict for each profile")))
}

fn parse_corpus(text: &str) -> Vec<Edit> {
    let mut edits: Vec<Edit> = Vec::new();
    let mut described = false;
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("== ") {
            let (name, verdict) = header.split_once(' ').expect("`== NAME VERDICT`");
            edits.push(Edit {
                name: name.to_owned(),
                unchanged: parse_verdict(verdict.trim(), name),
                hunks: Vec::new(),
            });
            described = false;
            continue;
        }
        let Some(edit) = edits.last_mut() else { continue };
        if !described {
            described = true;
            continue;
        }
        if let Some(path) = line.strip_prefix("--- ") {
            edit.hunks.push(Hunk {
                path: path.to_owned(),
                before: String::new(),
                after: String::new(),
            });
        } else if let Some(hunk) = edit.hunks.last_mut() {
            let (kind, text) = line.split_at(line.len().min(1));
            match kind {
                " " => {
                    hunk.before += &format!("{text}\n");
                    hunk.after += &format!("{text}\n");
                }
                "-" => hunk.before += &format!("{text}\n"),
                "+" => hunk.after += &format!("{text}\n"),
                "" => {}
                _ => panic!("edit {}: bad hunk line {line:?}", edit.name),
            }
        }
    }
    edits
}

fn apply(edit: &Edit, up: &Path) {
    for hunk in &edit.hunks {
        let path = up.join(&hunk.path);
        let text = read_to_string(&path);
        assert_eq!(
            text.matches(&hunk.before).count(),
            1,
            "edit {}: the text to replace must occur exactly once in {}",
            edit.name,
            hunk.path
        );
        write(&path, text.replacen(&hunk.before, &hunk.after, 1));
    }
}
