//! How a revision's files differ from its parent's, for the build page: per file added,
//! removed or changed, the lines added and removed and a unified diff (`similar`, Myers with
//! a deadline so a pathological pair of files cannot hold a request).

use std::time::Duration;

use domain::{
    api::{BuildDiff, FileDiff},
    ids::BuildId,
};
use similar::{ChangeTag, TextDiff};

use crate::store::artifacts::Stored;

/// Largest file (either side) shown as a diff; larger ones are listed with their counts.
const MAX_SHOWN_BYTES: usize = 256 * 1024;

/// How long one file's diff may take before it settles for a coarser answer.
const DEADLINE: Duration = Duration::from_millis(200);

/// The diff of `new` (the revision's files) against `old` (its parent's), by path.
pub(crate) fn files(build: BuildId, parent: BuildId, old: &[Stored], new: &[Stored]) -> BuildDiff {
    let mut files = Vec::new();
    let mut unchanged = 0u32;
    for n in new {
        match old.iter().find(|o| o.path == n.path) {
            Some(o) if o.sha256 == n.sha256 => unchanged += 1,
            Some(o) => files.push(one(&n.path, "changed", &o.content, &n.content)),
            None => files.push(one(&n.path, "added", b"", &n.content)),
        }
    }
    for o in old {
        if !new.iter().any(|n| n.path == o.path) {
            files.push(one(&o.path, "removed", &o.content, b""));
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    BuildDiff {
        build_id: build,
        parent_id: Some(parent),
        files,
        unchanged,
    }
}

fn one(path: &str, change: &str, old: &[u8], new: &[u8]) -> FileDiff {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let diff = TextDiff::configure()
        .deadline(std::time::Instant::now() + DEADLINE)
        .diff_lines(old.as_ref(), new.as_ref());
    let (mut added, mut removed) = (0u32, 0u32);
    for c in diff.iter_all_changes() {
        match c.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let unified = if old.len().max(new.len()) > MAX_SHOWN_BYTES {
        String::new()
    } else {
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string()
    };
    FileDiff {
        path: path.to_owned(),
        change: change.to_owned(),
        added,
        removed,
        unified,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(path: &str, content: &str) -> Stored {
        use sha2::{Digest, Sha256};
        Stored {
            path: path.into(),
            content_type: "text/plain".into(),
            content: content.as_bytes().to_vec(),
            sha256: Sha256::digest(content.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        }
    }

    #[test]
    fn added_removed_and_changed_files_are_listed_with_their_lines() {
        let id = |n: u128| BuildId(uuid::Uuid::from_u128(n));
        let old = [
            stored("a.js", "one\ntwo\nthree\n"),
            stored("gone.css", "x\n"),
            stored("same.txt", "s\n"),
        ];
        let new = [
            stored("a.js", "one\n2\nthree\nfour\n"),
            stored("new.js", "n\n"),
            stored("same.txt", "s\n"),
        ];
        let d = files(id(2), id(1), &old, &new);
        assert_eq!(d.unchanged, 1);
        let paths: Vec<(&str, &str, u32, u32)> = d
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.change.as_str(), f.added, f.removed))
            .collect();
        assert_eq!(
            paths,
            [
                ("a.js", "changed", 2, 1),
                ("gone.css", "removed", 0, 1),
                ("new.js", "added", 1, 0)
            ]
        );
        let a = &d.files[0].unified;
        assert!(a.starts_with("--- a/a.js\n+++ b/a.js\n@@"), "{a}");
        assert!(a.contains("\n-two\n+2\n") && a.contains("\n+four\n"), "{a}");
    }

    #[test]
    fn a_file_too_large_to_show_still_counts_its_lines() {
        let id = |n: u128| BuildId(uuid::Uuid::from_u128(n));
        let big = "line\n".repeat(MAX_SHOWN_BYTES / 5 + 10);
        let d = files(id(2), id(1), &[stored("big.js", "")], &[stored("big.js", &big)]);
        assert_eq!(d.files[0].added as usize, MAX_SHOWN_BYTES / 5 + 10);
        assert!(d.files[0].unified.is_empty());
    }
}
