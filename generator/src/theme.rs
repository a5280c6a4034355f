//! Colour arithmetic for generated apps: named colours in prompts, hash-derived hues, and
//! the light and dark palettes (CSS custom properties) computed from a spec's two colours.
//!
//! Invariants: every colour this module emits is `#rrggbb` or an `rgba(...)` with numeric
//! parts, so the values can be placed in CSS without escaping; text colours are chosen for
//! a WCAG contrast of at least 4.5:1 against the surface they sit on where the hue allows.

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rgb {
    pub(crate) r: f32,
    pub(crate) g: f32,
    pub(crate) b: f32,
}

impl Rgb {
    /// Parses `#rrggbb`.
    pub(crate) fn parse(hex: &str) -> Option<Rgb> {
        let h = hex.strip_prefix('#')?;
        if h.len() != 6 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(h.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
        Some(Rgb {
            r: f32::from(byte(0)) / 255.0,
            g: f32::from(byte(2)) / 255.0,
            b: f32::from(byte(4)) / 255.0,
        })
    }

    /// `#rrggbb`.
    pub(crate) fn hex(self) -> String {
        let c = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        format!("#{:02x}{:02x}{:02x}", c(self.r), c(self.g), c(self.b))
    }

    /// `rgba(r, g, b, alpha)`.
    pub(crate) fn rgba(self, alpha: f32) -> String {
        let c = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        format!(
            "rgba({}, {}, {}, {:.2})",
            c(self.r),
            c(self.g),
            c(self.b),
            alpha.clamp(0.0, 1.0)
        )
    }

    /// From hue (degrees), saturation and lightness (0 to 1).
    pub(crate) fn from_hsl(h: f32, s: f32, l: f32) -> Rgb {
        let h = h.rem_euclid(360.0) / 360.0;
        let (s, l) = (s.clamp(0.0, 1.0), l.clamp(0.0, 1.0));
        if s == 0.0 {
            return Rgb { r: l, g: l, b: l };
        }
        let q = if l < 0.5 { l * (1.0 + s) } else { l + s - l * s };
        let p = 2.0 * l - q;
        let channel = |mut t: f32| {
            t = t.rem_euclid(1.0);
            if t < 1.0 / 6.0 {
                p + (q - p) * 6.0 * t
            } else if t < 0.5 {
                q
            } else if t < 2.0 / 3.0 {
                p + (q - p) * (2.0 / 3.0 - t) * 6.0
            } else {
                p
            }
        };
        Rgb {
            r: channel(h + 1.0 / 3.0),
            g: channel(h),
            b: channel(h - 1.0 / 3.0),
        }
    }

    /// Hue (degrees), saturation, lightness.
    pub(crate) fn hsl(self) -> (f32, f32, f32) {
        let max = self.r.max(self.g).max(self.b);
        let min = self.r.min(self.g).min(self.b);
        let l = (max + min) / 2.0;
        if (max - min).abs() < f32::EPSILON {
            return (0.0, 0.0, l);
        }
        let d = max - min;
        let s = if l > 0.5 {
            d / (2.0 - max - min)
        } else {
            d / (max + min)
        };
        let h = if (max - self.r).abs() < f32::EPSILON {
            (self.g - self.b) / d + if self.g < self.b { 6.0 } else { 0.0 }
        } else if (max - self.g).abs() < f32::EPSILON {
            (self.b - self.r) / d + 2.0
        } else {
            (self.r - self.g) / d + 4.0
        };
        (h * 60.0, s, l)
    }

    /// `self` moved towards `other` by `t` (0 to 1).
    pub(crate) fn mix(self, other: Rgb, t: f32) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        Rgb {
            r: self.r + (other.r - self.r) * t,
            g: self.g + (other.g - self.g) * t,
            b: self.b + (other.b - self.b) * t,
        }
    }

    /// Relative luminance (WCAG).
    pub(crate) fn luminance(self) -> f32 {
        let lin = |c: f32| {
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.r) + 0.7152 * lin(self.g) + 0.0722 * lin(self.b)
    }

    /// WCAG contrast ratio with `other`.
    pub(crate) fn contrast(self, other: Rgb) -> f32 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

const WHITE: Rgb = Rgb { r: 1.0, g: 1.0, b: 1.0 };
const INK: Rgb = Rgb {
    r: 0.067,
    g: 0.067,
    b: 0.09,
};

/// Colour words a prompt may use, with the primary colour each stands for.
pub(crate) const NAMED_COLOURS: &[(&str, &str)] = &[
    ("red", "#dc2626"),
    ("crimson", "#be123c"),
    ("scarlet", "#d62828"),
    ("orange", "#ea580c"),
    ("amber", "#d97706"),
    ("yellow", "#ca8a04"),
    ("gold", "#b7791f"),
    ("golden", "#b7791f"),
    ("lime", "#65a30d"),
    ("green", "#16a34a"),
    ("emerald", "#059669"),
    ("mint", "#0f9d76"),
    ("olive", "#4d7c0f"),
    ("forest", "#166534"),
    ("teal", "#0d9488"),
    ("turquoise", "#0f9aa8"),
    ("cyan", "#0891b2"),
    ("sky", "#0284c7"),
    ("blue", "#2563eb"),
    ("navy", "#1e3a8a"),
    ("indigo", "#4f46e5"),
    ("violet", "#7c3aed"),
    ("purple", "#9333ea"),
    ("lavender", "#8b5cf6"),
    ("lilac", "#a855f7"),
    ("fuchsia", "#c026d3"),
    ("magenta", "#c026d3"),
    ("pink", "#db2777"),
    ("rose", "#e11d48"),
    ("coral", "#e8553e"),
    ("peach", "#f26b3a"),
    ("salmon", "#e0604f"),
    ("brown", "#92400e"),
    ("coffee", "#7c4a2d"),
    ("beige", "#a16207"),
    ("gray", "#4b5563"),
    ("grey", "#4b5563"),
    ("slate", "#475569"),
    ("charcoal", "#334155"),
    ("black", "#1f2937"),
    ("monochrome", "#374151"),
];

/// The primary colour a colour word stands for.
pub(crate) fn named_colour(word: &str) -> Option<&'static str> {
    NAMED_COLOURS.iter().find(|(n, _)| *n == word).map(|(_, hex)| *hex)
}

/// Primary and accent derived from a hash: a hue, a saturation and a lightness band that
/// keep white text readable on the primary.
pub(crate) fn colours_from_hash(hash: u64) -> (String, String) {
    let hue = pleasant_hue((hash % 360) as f32);
    let sat = 0.58 + ((hash >> 12) % 20) as f32 / 100.0;
    let light = 0.40 + ((hash >> 20) % 9) as f32 / 100.0;
    let primary = Rgb::from_hsl(hue, sat, light);
    (primary.hex(), accent_for(primary, hash))
}

/// `hue` moved out of the yellow-olive-lime band (48 to 125 degrees), which looks muddy at the
/// lightness a primary needs for white text; the hues above it are compressed to make room.
fn pleasant_hue(hue: f32) -> f32 {
    let h = hue.rem_euclid(360.0);
    if h < 48.0 {
        h
    } else {
        // Map [48, 360) onto [125, 360).
        125.0 + (h - 48.0) * (235.0 / 312.0)
    }
}

/// An accent that goes with `primary`: a hue offset picked by `hash`.
pub(crate) fn accent_for(primary: Rgb, hash: u64) -> String {
    const OFFSETS: [f32; 6] = [150.0, 180.0, 40.0, -40.0, 120.0, -150.0];
    let (h, s, _) = primary.hsl();
    let offset = OFFSETS[((hash >> 28) % OFFSETS.len() as u64) as usize];
    let sat = if s < 0.15 { 0.7 } else { s.clamp(0.55, 0.85) };
    Rgb::from_hsl(pleasant_hue(h + offset), sat, 0.46).hex()
}

/// How the header is painted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderStyle {
    /// Surface colour with a hairline.
    Plain,
    /// The primary colour.
    Solid,
    /// A gradient from primary to accent.
    Gradient,
}

/// The CSS custom properties of a theme, light (`:root`) and dark
/// (`:root[data-theme="dark"]`), as CSS text.
pub(crate) fn css_variables(
    primary_hex: &str,
    accent_hex: &str,
    radius: u8,
    font: &str,
    header: HeaderStyle,
) -> String {
    let primary = Rgb::parse(primary_hex).unwrap_or(Rgb::from_hsl(250.0, 0.6, 0.5));
    let accent = Rgb::parse(accent_hex).unwrap_or(Rgb::from_hsl(160.0, 0.6, 0.45));
    let (hue, _, _) = primary.hsl();
    let tint = |s: f32, l: f32| Rgb::from_hsl(hue, s, l);

    // Light.
    let bg = tint(0.30, 0.975);
    let surface = WHITE;
    let on_primary = best_text(primary);
    let on_accent = best_text(accent);
    let primary_strong = readable_on(primary, surface, 4.5);
    let accent_strong = readable_on(accent, surface, 4.5);
    let header_light = header_vars(header, primary, accent, surface, tint(0.25, 0.12), tint(0.18, 0.88));
    let light = [
        ("--primary", primary.hex()),
        ("--primary-hover", primary.mix(INK, 0.14).hex()),
        ("--primary-soft", primary.mix(WHITE, 0.86).hex()),
        ("--primary-strong", primary_strong.hex()),
        ("--on-primary", on_primary.hex()),
        ("--accent", accent.hex()),
        ("--accent-soft", accent.mix(WHITE, 0.85).hex()),
        ("--accent-strong", accent_strong.hex()),
        ("--on-accent", on_accent.hex()),
        ("--bg", bg.hex()),
        ("--surface", surface.hex()),
        ("--surface-2", tint(0.25, 0.94).hex()),
        ("--border", tint(0.18, 0.88).hex()),
        ("--border-strong", tint(0.14, 0.72).hex()),
        ("--text", tint(0.25, 0.12).hex()),
        ("--muted", tint(0.10, 0.38).hex()),
        ("--input-bg", WHITE.hex()),
        ("--link", primary_strong.hex()),
        ("--ring", primary.rgba(0.35)),
        (
            "--shadow",
            format!("0 18px 40px -24px {}", primary.mix(INK, 0.5).rgba(0.45)),
        ),
        (
            "--shadow-sm",
            "0 1px 2px rgba(15, 23, 42, 0.06), 0 6px 16px -10px rgba(15, 23, 42, 0.18)".to_string(),
        ),
        ("--danger", "#c81e1e".to_string()),
        ("--danger-soft", "#fef2f2".to_string()),
        ("--warn", "#b45309".to_string()),
        ("--warn-soft", "#fffbeb".to_string()),
        ("--ok", "#15803d".to_string()),
        ("--star", "#d97706".to_string()),
        ("--star-soft", "rgba(245, 158, 11, 0.35)".to_string()),
        ("--flame", "#ea580c".to_string()),
    ];

    // Dark.
    let dbg = tint(0.22, 0.075);
    let dsurface = tint(0.18, 0.12);
    let dprimary = readable_on(primary, dsurface, 3.2);
    let daccent = readable_on(accent, dsurface, 3.2);
    let dheader = header_vars(
        header,
        primary.mix(INK, 0.35),
        accent.mix(INK, 0.35),
        dsurface,
        tint(0.2, 0.94),
        tint(0.14, 0.22),
    );
    let dark = [
        ("--primary", dprimary.hex()),
        ("--primary-hover", dprimary.mix(WHITE, 0.12).hex()),
        ("--primary-soft", dprimary.mix(dsurface, 0.78).hex()),
        ("--primary-strong", readable_on(primary, dsurface, 4.5).hex()),
        ("--on-primary", best_text(dprimary).hex()),
        ("--accent", daccent.hex()),
        ("--accent-soft", daccent.mix(dsurface, 0.78).hex()),
        ("--accent-strong", readable_on(accent, dsurface, 4.5).hex()),
        ("--on-accent", best_text(daccent).hex()),
        ("--bg", dbg.hex()),
        ("--surface", dsurface.hex()),
        ("--surface-2", tint(0.16, 0.17).hex()),
        ("--border", tint(0.14, 0.22).hex()),
        ("--border-strong", tint(0.12, 0.34).hex()),
        ("--text", tint(0.2, 0.94).hex()),
        ("--muted", tint(0.10, 0.70).hex()),
        ("--input-bg", tint(0.18, 0.09).hex()),
        ("--link", readable_on(primary, dsurface, 4.5).hex()),
        ("--ring", dprimary.rgba(0.45)),
        ("--shadow", "0 18px 40px -24px rgba(0, 0, 0, 0.8)".to_string()),
        ("--shadow-sm", "0 1px 2px rgba(0, 0, 0, 0.4)".to_string()),
        ("--danger", "#f87171".to_string()),
        ("--danger-soft", "rgba(248, 113, 113, 0.12)".to_string()),
        ("--warn", "#fbbf24".to_string()),
        ("--warn-soft", "rgba(251, 191, 36, 0.12)".to_string()),
        ("--ok", "#4ade80".to_string()),
        ("--star", "#fbbf24".to_string()),
        ("--star-soft", "rgba(251, 191, 36, 0.3)".to_string()),
        ("--flame", "#fb923c".to_string()),
    ];

    let mut css = String::from(":root {\n");
    for (k, v) in light.iter().chain(header_light.iter()) {
        css.push_str(&format!("  {k}: {v};\n"));
    }
    css.push_str(&format!(
        "  --radius: {}px;\n  --font: {};\n}}\n\n",
        radius.min(24),
        font
    ));
    css.push_str(":root[data-theme=\"dark\"] {\n");
    for (k, v) in dark.iter().chain(dheader.iter()) {
        css.push_str(&format!("  {k}: {v};\n"));
    }
    css.push_str("}\n");
    css
}

fn header_vars(
    style: HeaderStyle,
    primary: Rgb,
    accent: Rgb,
    surface: Rgb,
    text: Rgb,
    border: Rgb,
) -> [(&'static str, String); 3] {
    match style {
        HeaderStyle::Plain => [
            ("--header-bg", surface.hex()),
            ("--header-text", text.hex()),
            ("--header-border", border.hex()),
        ],
        HeaderStyle::Solid => {
            let on = best_text(primary);
            [
                ("--header-bg", primary.hex()),
                ("--header-text", on.hex()),
                ("--header-border", on.rgba(0.35)),
            ]
        }
        HeaderStyle::Gradient => {
            let mid = primary.mix(accent, 0.5);
            let on = best_text(mid);
            // Gradient text must read on both ends; darken the ends if needed.
            let (a, b) = if on == WHITE {
                (readable_on(primary, WHITE, 4.5), readable_on(accent, WHITE, 4.5))
            } else {
                (primary, accent)
            };
            [
                (
                    "--header-bg",
                    format!("linear-gradient(120deg, {}, {})", a.hex(), b.hex()),
                ),
                ("--header-text", on.hex()),
                ("--header-border", on.rgba(0.35)),
            ]
        }
    }
}

/// White or ink, whichever reads better on `bg`.
pub(crate) fn best_text(bg: Rgb) -> Rgb {
    if WHITE.contrast(bg) >= INK.contrast(bg) || WHITE.contrast(bg) >= 4.5 {
        WHITE
    } else {
        INK
    }
}

/// `colour` darkened or lightened (towards ink or white, whichever `bg` is not) until it
/// reaches `ratio` against `bg`.
pub(crate) fn readable_on(colour: Rgb, bg: Rgb, ratio: f32) -> Rgb {
    let target = if bg.luminance() > 0.4 { INK } else { WHITE };
    let mut c = colour;
    let mut t = 0.0;
    while c.contrast(bg) < ratio && t < 1.0 {
        t += 0.05;
        c = colour.mix(target, t);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_hsl_is_consistent() {
        for hex in ["#7c3aed", "#10b981", "#000000", "#ffffff", "#dc2626"] {
            let c = Rgb::parse(hex).expect("valid hex");
            assert_eq!(c.hex(), hex);
            let (h, s, l) = c.hsl();
            assert_eq!(Rgb::from_hsl(h, s, l).hex(), hex);
        }
        assert!(Rgb::parse("purple").is_none());
    }

    #[test]
    fn readable_colours_reach_their_contrast() {
        let yellow = Rgb::parse("#facc15").expect("valid hex");
        assert!(readable_on(yellow, WHITE, 4.5).contrast(WHITE) >= 4.5);
        let navy = Rgb::parse("#1e3a8a").expect("valid hex");
        let dark = Rgb::from_hsl(220.0, 0.18, 0.12);
        assert!(readable_on(navy, dark, 3.2).contrast(dark) >= 3.2);
    }
}
