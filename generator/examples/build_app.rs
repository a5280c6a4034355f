//! Builds the offline app for a prompt: prints the entities and the reflection notes, and
//! with a directory, writes the app's files there (to open or serve it).
//!
//! `cargo run -p generator --example build_app -- "a photo portfolio: albums and photos" /tmp/app`

fn main() {
    let mut args = std::env::args().skip(1);
    let prompt = args.next().unwrap_or_else(|| "a habit tracker".into());
    let a = generator::analyze(&prompt);
    println!("{} ({:.2})", a.spec.name, a.confidence);
    for e in &a.spec.entities {
        let fields: Vec<String> = e
            .fields
            .iter()
            .map(|f| match &f.entity {
                Some(t) => format!("{}:{}->{}", f.label, f.kind.as_str(), t),
                None => format!("{}:{}", f.label, f.kind.as_str()),
            })
            .collect();
        println!("  {} / {} ({}): {}", e.label, e.plural, e.name, fields.join(", "));
    }
    for n in &a.reflection {
        println!("  - {n}");
    }
    if let Some(dir) = args.next() {
        for f in generator::generate_all(&a.spec) {
            let path = std::path::Path::new(&dir).join(&f.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("create directory");
            }
            std::fs::write(&path, f.content).expect("write file");
        }
        println!("written to {dir}");
    }
}
