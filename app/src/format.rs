//! Text for people, shared by every page: durations, sizes, label cuts and JSON previews.
//! One formatter per kind of value, so two pages never show the same value two ways.

/// "850 ms", "12.3 s", "2 min 05 s", "1 h 02 min".
pub fn format_duration_ms(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1_000.0)
    } else if ms < 3_600_000 {
        let s = ms / 1_000;
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        let m = ms / 60_000;
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

/// The first `limit` characters of `text` (with a trailing ellipsis line) and whether it was
/// cut.
pub fn json_preview(text: &str, limit: usize) -> (String, bool) {
    match text.char_indices().nth(limit) {
        None => (text.to_owned(), false),
        Some((cut, _)) => (format!("{}\n…", &text[..cut]), true),
    }
}

/// Pretty-printed JSON.
pub fn pretty_json(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// `s` cut to at most `max` characters, the last one an ellipsis when it was cut.
pub fn truncate_label(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some(_) => {
            let keep = s.char_indices().nth(max - 1).map_or(s.len(), |(i, _)| i);
            format!("{}…", &s[..keep])
        }
    }
}

/// Bytes for people: "512 B", "1.5 KB", "2.3 MB".
pub fn format_size(bytes: i64) -> String {
    let b = bytes.max(0);
    if b < 1024 {
        format!("{b} B")
    } else if b < 1024 * 1024 {
        format!("{:.1} KB", b as f64 / 1024.0)
    } else {
        format!("{:.1} MB", b as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration_ms(850), "850 ms");
        assert_eq!(format_duration_ms(12_345), "12.3 s");
        assert_eq!(format_duration_ms(125_000), "2 min 05 s");
        assert_eq!(format_duration_ms(3_720_000), "1 h 02 min");
        assert_eq!(format_duration_ms(-5), "0 ms");
    }

    #[test]
    fn long_json_is_previewed() {
        assert_eq!(json_preview("{}", 10), ("{}".to_owned(), false));
        let (p, cut) = json_preview("0123456789abc", 10);
        assert!(cut);
        assert_eq!(p, "0123456789\n…");
        let (p, cut) = json_preview("ééééé", 3);
        assert!(cut);
        assert_eq!(p, "ééé\n…");
        assert!(pretty_json(&serde_json::json!({"a": [1, 2]})).contains("\n  \"a\": ["));
    }

    #[test]
    fn labels_are_cut_with_an_ellipsis() {
        assert_eq!(truncate_label("short", 18), "short");
        assert_eq!(truncate_label("exactly-ten", 11), "exactly-ten");
        assert_eq!(truncate_label("generate-frontend-code", 10), "generate-…");
        assert_eq!(truncate_label("généré-ünïcödé", 5), "géné…");
        assert_eq!(truncate_label("abc", 0), "");
        assert_eq!(truncate_label("generate-frontend-code", 10).chars().count(), 10);
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1536), "1.5 KB");
        assert_eq!(format_size(3 * 1024 * 1024 + 300 * 1024), "3.3 MB");
        assert_eq!(format_size(-1), "0 B");
    }
}
