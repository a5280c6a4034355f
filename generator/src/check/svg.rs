//! SVG: roxmltree, with no scripts, handlers or external references.

use super::{clip, css::check_css};

pub(super) fn check_svg(source: &str) -> Vec<String> {
    let doc = match roxmltree::Document::parse(source) {
        Ok(d) => d,
        Err(e) => return vec![format!("SVG is not well-formed XML: {e}.")],
    };
    let mut problems = Vec::new();
    let root = doc.root_element();
    let pos = |n: roxmltree::Node<'_, '_>| {
        let p = doc.text_pos_at(n.range().start);
        format!("line {}, column {}", p.row, p.col)
    };
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some("http://www.w3.org/2000/svg") {
        problems.push("the root element must be <svg xmlns=\"http://www.w3.org/2000/svg\">.".into());
    }
    if root.attribute("viewBox").is_none() {
        problems.push("the root <svg> needs a viewBox so it scales.".into());
    }
    for node in root.descendants().filter(roxmltree::Node::is_element) {
        let name = node.tag_name().name();
        if name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("foreignObject") {
            problems.push(format!("{}: <{name}> is not allowed in generated SVG.", pos(node)));
        }
        for a in node.attributes() {
            let an = a.name();
            if an.to_ascii_lowercase().starts_with("on") {
                problems.push(format!("{}: event handler `{an}` is not allowed in SVG.", pos(node)));
            }
            if an == "href" {
                let v = a.value().trim();
                if !(v.starts_with('#') || v.starts_with("data:")) {
                    problems.push(format!(
                        "{}: href {:?} must point inside the file (`#id`).",
                        pos(node),
                        clip(v, 60)
                    ));
                }
            }
            if a.value().contains("url(") && (a.value().contains("http") || a.value().contains("//")) {
                problems.push(format!("{}: `{an}` references an external URL.", pos(node)));
            }
        }
        if name == "style" {
            if let Some(text) = node.text() {
                problems.extend(check_css(text).into_iter().map(|p| format!("in <style>: {p}")));
            }
        }
    }
    problems
}
