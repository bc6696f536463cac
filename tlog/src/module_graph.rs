//! Test support (feature `testing`): the import graph between a crate's
//! top-level modules, read from its sources, and the cycles in it.
//!
//! Each crate's tests assert that its graph has no cycle, so that an
//! import loop (note ↔ checkpoint ↔ cosignature was one) fails `cargo test`
//! instead of waiting for a reviewer to draw the graph with `cargo modules
//! dependencies`. The reading is deliberately simple and errs towards
//! seeing an edge: every `crate::m` path outside comments counts, as in
//! `use` lines, in expressions and in `crate::{a, b}` groups. Modules
//! declared under `#[cfg(test)]` and inline `#[cfg(test)] mod` blocks are
//! left out, as `cargo modules` leaves them out without `--cfg-test`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules it names.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The graph of the crate whose root file is `root` (its `lib.rs` or
/// `main.rs`), following `mod name;` declarations to `name.rs` or
/// `name/mod.rs`.
pub fn graph(root: &Path) -> std::io::Result<Graph> {
    let mut g = Graph::new();
    let text = std::fs::read_to_string(root)?;
    let dir = root.parent().unwrap_or(Path::new(".")).to_path_buf();
    for m in child_modules(&text) {
        let mut names = BTreeSet::new();
        collect(&dir, &m, &mut names)?;
        names.remove(&m);
        g.insert(m, names);
    }
    Ok(g)
}

/// Every cycle of `g`, each as the path of modules from its smallest name
/// back to it (`a → b → a`), without repeats.
pub fn cycles(g: &Graph) -> Vec<Vec<String>> {
    let mut found = BTreeSet::new();
    for start in g.keys() {
        let mut stack = vec![start.clone()];
        walk(g, start, &mut stack, &mut found);
    }
    found.into_iter().collect()
}

fn walk(g: &Graph, at: &str, stack: &mut Vec<String>, found: &mut BTreeSet<Vec<String>>) {
    for next in g.get(at).into_iter().flatten() {
        if let Some(i) = stack.iter().position(|m| m == next) {
            let mut cycle: Vec<String> = stack[i..].to_vec();
            // Rotate so the smallest name leads: one spelling per cycle.
            if let Some(min) = (0..cycle.len()).min_by_key(|&k| &cycle[k]) {
                cycle.rotate_left(min);
            }
            let first = cycle[0].clone();
            cycle.push(first);
            found.insert(cycle);
        } else if g.contains_key(next.as_str()) {
            stack.push(next.clone());
            walk(g, next, stack, found);
            stack.pop();
        }
    }
}

/// Reads module `name` under `dir` (and its non-test children) and adds
/// every top-level module it names to `names`.
fn collect(dir: &Path, name: &str, names: &mut BTreeSet<String>) -> std::io::Result<()> {
    let file = [
        dir.join(format!("{name}.rs")),
        dir.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|p| p.exists());
    let Some(file) = file else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&file)?;
    let text = without_test_blocks(&text);
    names.extend(crate_paths(&text));
    let sub: PathBuf = dir.join(name);
    for child in child_modules(&text) {
        collect(&sub, &child, names)?;
    }
    Ok(())
}

/// `mod name;` declarations not under `#[cfg(test)]`.
fn child_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut test_only = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("#[") {
            test_only |= line.starts_with("#[cfg(test)]") || line.starts_with("#[cfg(any(test");
            continue;
        }
        let decl = line
            .strip_prefix("pub(crate) ")
            .or_else(|| line.strip_prefix("pub "))
            .unwrap_or(line);
        if let Some(rest) = decl.strip_prefix("mod ")
            && let Some(name) = rest.strip_suffix(';')
            && !test_only
        {
            out.push(name.trim().to_string());
        }
        if !line.is_empty() && !line.starts_with("//") {
            test_only = false;
        }
    }
    out
}

/// The text without comment lines and without inline `#[cfg(test)] mod`
/// blocks (which by convention run to the end of the file).
fn without_test_blocks(text: &str) -> String {
    let mut out = String::new();
    let mut test_attr = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("//") {
            continue;
        }
        if t.starts_with("#[cfg(test)]") {
            test_attr = true;
            continue;
        }
        if test_attr && t.starts_with("mod ") && t.ends_with('{') {
            break;
        }
        if !t.starts_with("#[") {
            test_attr = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The first segment of every `crate::` path, including each member of a
/// `crate::{a, b::c}` group.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::` or `mycrate::`
        }
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for member in group[..end].split(',') {
                let m = ident(member.trim());
                if !m.is_empty() {
                    out.insert(m);
                }
            }
        } else {
            let m = ident(rest);
            if !m.is_empty() {
                out.insert(m);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(edges: &[(&str, &[&str])]) -> Graph {
        edges
            .iter()
            .map(|(m, d)| (m.to_string(), d.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn finds_each_cycle_once_and_nothing_in_a_dag() {
        let dag = g(&[("a", &["b", "c"]), ("b", &["c"]), ("c", &[])]);
        assert!(cycles(&dag).is_empty());
        let loops = g(&[
            ("note", &["checkpoint"]),
            ("checkpoint", &["cosignature"]),
            ("cosignature", &["note"]),
            ("x", &["y"]),
            ("y", &["x"]),
        ]);
        assert_eq!(
            cycles(&loops),
            vec![
                vec!["checkpoint", "cosignature", "note", "checkpoint"],
                vec!["x", "y", "x"]
            ]
        );
    }

    #[test]
    fn reads_use_lines_groups_and_paths_but_not_comments_or_tests() {
        let text = "use crate::merkle::Hash;\nuse crate::{note::Note, tile};\n\
                    // crate::policy is only mentioned\nfn f() { crate::keys::x(); $crate::no(); }\n\
                    #[cfg(test)]\nmod tests {\n    use crate::testing;\n}\n";
        let kept = without_test_blocks(text);
        let names: Vec<String> = crate_paths(&kept).into_iter().collect();
        assert_eq!(names, ["keys", "merkle", "note", "tile"]);
        let mods = child_modules(
            "pub mod a;\n#[cfg(test)]\nmod t;\n#[cfg(any(test, feature = \"x\"))]\npub mod u;\nmod b;\n",
        );
        assert_eq!(mods, ["a", "b"]);
    }

    /// This crate: the note code's old loop must not come back.
    #[test]
    fn the_tlog_module_graph_has_no_cycle() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
        let graph = graph(&root).unwrap();
        assert!(graph.contains_key("note") && graph.contains_key("checkpoint"));
        // note.rs knows keys (its Ed25519 signatures) and nothing of
        // checkpoints, cosignatures or other key types' files.
        assert_eq!(
            graph["note"].iter().collect::<Vec<_>>(),
            ["keys"],
            "note imports {:?}",
            graph["note"]
        );
        assert_eq!(cycles(&graph), Vec::<Vec<String>>::new(), "{graph:#?}");
    }
}
