//! Packaging: a build's files as a zip, under one folder named after the app.

use std::io::Write;

use zip::{write::SimpleFileOptions, CompressionMethod, ZipWriter};

use crate::store::artifacts::Stored;

/// A folder name from the app's name: lowercase ASCII letters, digits and dashes.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "app".into()
    } else {
        out.chars().take(60).collect()
    }
}

/// The zip of `files` under `folder/`.
///
/// # Errors
/// Writing failed (it does not, in memory, short of a bug).
pub(crate) fn zip(folder: &str, files: &[Stored]) -> zip::result::ZipResult<Vec<u8>> {
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for f in files {
        w.start_file(format!("{folder}/{}", f.path), options)?;
        w.write_all(&f.content)?;
    }
    Ok(w.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn slugs_are_safe_folder_names() {
        assert_eq!(slug("Habit Tracker"), "habit-tracker");
        assert_eq!(slug("  <script>!! "), "script");
        assert_eq!(slug("日本"), "app");
    }

    #[test]
    fn a_zip_holds_every_file_under_the_folder() {
        let files = vec![
            Stored {
                path: "index.html".into(),
                content_type: "text/html".into(),
                content: b"<!doctype html>".to_vec(),
                sha256: String::new(),
            },
            Stored {
                path: "js/app.js".into(),
                content_type: "text/javascript".into(),
                content: b"let a = 1;".to_vec(),
                sha256: String::new(),
            },
        ];
        let bytes = zip("habit-tracker", &files).unwrap();
        let mut archive = ::zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 2);
        let mut js = String::new();
        archive
            .by_name("habit-tracker/js/app.js")
            .unwrap()
            .read_to_string(&mut js)
            .unwrap();
        assert_eq!(js, "let a = 1;");
    }
}
