//! A minimal Server-Sent Events reader for streamed chat completions: feed it the body's
//! bytes as they arrive ([`SseParser::push`]) and take out each event's `data` as it
//! completes. Per the SSE format: lines end with LF, CRLF or CR; an empty line ends an
//! event; lines starting with `:` are comments (keep-alives); several `data:` lines of one
//! event are joined with `\n`; one space after the colon is dropped; other fields (`event:`,
//! `id:`, `retry:`) are ignored. Bytes are buffered until a line is complete, so a chunk
//! boundary may fall anywhere, inside a line or inside a UTF-8 character.

/// Incremental SSE parser.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    /// The `data` lines of the event being read.
    data: Vec<String>,
    /// Whether the last byte seen was a CR (so an LF right after it ends nothing).
    after_cr: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `bytes`; returns the data of every event they completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in bytes {
            match b {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    self.end_line(&line, &mut out);
                }
                _ => {
                    self.after_cr = false;
                    self.line.push(b);
                }
            }
        }
        out
    }

    /// The data of an event the stream ended without its blank line, if any.
    pub fn finish(&mut self) -> Option<String> {
        let line = std::mem::take(&mut self.line);
        let mut out = Vec::new();
        if !line.is_empty() {
            self.end_line(&line, &mut out);
        }
        self.end_line(&[], &mut out);
        out.pop()
    }

    fn end_line(&mut self, line: &[u8], out: &mut Vec<String>) {
        if line.is_empty() {
            if !self.data.is_empty() {
                out.push(std::mem::take(&mut self.data).join("\n"));
            }
            return;
        }
        if line[0] == b':' {
            return;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        if field == "data" {
            self.data.push(value.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SseParser;

    fn all(chunks: &[&[u8]]) -> Vec<String> {
        let mut p = SseParser::new();
        let mut out: Vec<String> = chunks.iter().flat_map(|c| p.push(c)).collect();
        out.extend(p.finish());
        out
    }

    #[test]
    fn events_end_at_blank_lines() {
        assert_eq!(
            all(&[b"data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n"]),
            ["{\"a\":1}", "{\"a\":2}", "[DONE]"]
        );
    }

    #[test]
    fn a_chunk_boundary_may_fall_anywhere() {
        let stream = "data: {\"x\":\"héllo\"}\n\ndata: [DONE]\n\n".as_bytes();
        for cut in 1..stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(all(&[a, b]), ["{\"x\":\"héllo\"}", "[DONE]"], "cut at {cut}");
        }
        // One byte at a time, too.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(all(&bytes), ["{\"x\":\"héllo\"}", "[DONE]"]);
    }

    #[test]
    fn crlf_and_cr_end_lines() {
        assert_eq!(
            all(&[b"data: a\r\n\r\ndata: b\r\rdata: c\r\n", b"\r\n"]),
            ["a", "b", "c"]
        );
        // A CRLF split across chunks is one line end, not two.
        assert_eq!(all(&[b"data: a\r", b"\n", b"data: b\r\n\r\n"]), ["a\nb"]);
    }

    #[test]
    fn comments_and_other_fields_are_ignored() {
        assert_eq!(
            all(&[b": keep-alive\n\nevent: message\nid: 7\nretry: 10\ndata:{\"ok\":true}\n\n"]),
            ["{\"ok\":true}"]
        );
    }

    #[test]
    fn several_data_lines_join_and_an_unterminated_event_is_kept() {
        assert_eq!(all(&[b"data: one\ndata: two\n\ndata: last"]), ["one\ntwo", "last"]);
    }
}
