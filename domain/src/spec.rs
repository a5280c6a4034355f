//! The app spec: what Starri's analysis makes of a prompt, and what every generation task
//! works from. A model's JSON is parsed into these types and then checked by
//! [`AppSpec::validate`], so nothing downstream sees a malformed spec.

use serde::{Deserialize, Serialize};

use crate::string_enum;

string_enum! {
    /// What kind of value a field holds; decides the input and the display.
    pub enum FieldKind {
        /// One line of text.
        Text => "text",
        /// Several lines of text.
        LongText => "long_text",
        /// A number.
        Number => "number",
        /// Yes or no (a checkbox).
        Boolean => "boolean",
        /// A calendar date.
        Date => "date",
        /// An e-mail address.
        Email => "email",
        /// A web address.
        Url => "url",
        /// One of `options`.
        Select => "select",
        /// 1 to 5 stars.
        Rating => "rating",
        /// A colour.
        Color => "color",
        /// A link to one record of another entity (named by the field's `entity`).
        Reference => "reference",
    }
}

string_enum! {
    /// What a page shows.
    pub enum PageKind {
        /// Statistics over all entities.
        Dashboard => "dashboard",
        /// Create, list, search, edit and delete one entity's records.
        List => "list",
        /// Preferences (theme, data export/import, reset).
        Settings => "settings",
        /// What the app is.
        About => "about",
    }
}

string_enum! {
    /// Optional behaviour the prompt asked for.
    pub enum Feature {
        /// A light/dark switch, remembered.
        DarkMode => "dark_mode",
        /// Search within lists.
        Search => "search",
        /// Counts and simple charts on the dashboard.
        Stats => "stats",
        /// Download and upload the data as JSON.
        ExportImport => "export_import",
        /// Consecutive-day streaks (for check-ins).
        Streaks => "streaks",
        /// Free-form tags on records.
        Tags => "tags",
        /// Mark records as favourites and filter by them.
        Favorites => "favorites",
        /// Sort lists by a chosen field.
        Sorting => "sorting",
    }
}

string_enum! {
    /// The generated app's default colour scheme.
    pub enum ThemeMode {
        /// Light.
        Light => "light",
        /// Dark.
        Dark => "dark",
        /// Follow the system.
        Auto => "auto",
    }
}

/// One field of an entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSpec {
    /// Identifier: lowercase snake_case, unique within the entity.
    pub name: String,
    /// For people.
    pub label: String,
    /// Value kind.
    pub kind: FieldKind,
    /// Must be filled in.
    #[serde(default)]
    pub required: bool,
    /// Choices, for `select` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// The entity a `reference` field points to (its `name`); for `reference` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

/// A kind of record the app manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntitySpec {
    /// Identifier: lowercase snake_case, unique within the app (`habit`).
    pub name: String,
    /// For people, singular (`Habit`).
    pub label: String,
    /// For people, plural (`Habits`).
    pub plural: String,
    /// Fields, the first of which is the record's title; at least one.
    pub fields: Vec<FieldSpec>,
}

/// One page of the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageSpec {
    /// Identifier: lowercase kebab-case, unique (`habits`); becomes the URL hash.
    pub id: String,
    /// Navigation label.
    pub title: String,
    /// What it shows.
    pub kind: PageKind,
    /// The entity a `list` page manages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
}

/// Colours and shape of the generated app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeSpec {
    /// Main colour, `#rrggbb`.
    pub primary: String,
    /// Second colour, `#rrggbb`.
    pub accent: String,
    /// Default scheme.
    pub mode: ThemeMode,
    /// Corner radius in pixels, 0 to 24.
    pub radius: u8,
    /// CSS font stack.
    pub font: String,
}

/// Everything the generation tasks need to know about the app to build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSpec {
    /// Display name (`Habit Tracker`).
    pub name: String,
    /// One or two sentences.
    pub summary: String,
    /// Optional behaviour.
    pub features: Vec<Feature>,
    /// Pages, in navigation order; at least one.
    pub pages: Vec<PageSpec>,
    /// Record kinds; at least one.
    pub entities: Vec<EntitySpec>,
    /// Look.
    pub theme: ThemeSpec,
}

/// The analysis phase's result: the spec, what the reflection pass noticed, and how sure
/// the analysis is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The spec after reflection.
    pub spec: AppSpec,
    /// What the reflection pass checked or changed, one note per line.
    pub reflection: Vec<String>,
    /// 0 to 1.
    pub confidence: f32,
}

fn is_snake(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn printable(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(|c| c.is_control() && c != '\n')
}

impl AppSpec {
    /// Every problem with the spec, each as one sentence a model can act on; empty when the
    /// spec is usable.
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !printable(&self.name, 60) {
            p.push("name must be 1 to 60 printable characters".into());
        }
        if !printable(&self.summary, 400) {
            p.push("summary must be 1 to 400 printable characters".into());
        }
        if self.entities.is_empty() || self.entities.len() > 8 {
            p.push(format!("there must be 1 to 8 entities, not {}", self.entities.len()));
        }
        let mut entity_names = std::collections::HashSet::new();
        for e in &self.entities {
            if !is_snake(&e.name) {
                p.push(format!("entity name {:?} must be lowercase snake_case", e.name));
            }
            if !entity_names.insert(e.name.as_str()) {
                p.push(format!("entity name {:?} is used twice", e.name));
            }
            if !printable(&e.label, 40) || !printable(&e.plural, 40) {
                p.push(format!(
                    "entity {:?} needs a label and a plural of 1 to 40 characters",
                    e.name
                ));
            }
            if e.fields.is_empty() || e.fields.len() > 16 {
                p.push(format!(
                    "entity {:?} must have 1 to 16 fields, not {}",
                    e.name,
                    e.fields.len()
                ));
            }
            let mut field_names = std::collections::HashSet::new();
            for f in &e.fields {
                if !is_snake(&f.name) || f.name == "id" {
                    p.push(format!(
                        "field {:?} of {:?} must be lowercase snake_case and not `id`",
                        f.name, e.name
                    ));
                }
                if !field_names.insert(f.name.as_str()) {
                    p.push(format!("field {:?} of {:?} is used twice", f.name, e.name));
                }
                if !printable(&f.label, 40) {
                    p.push(format!(
                        "field {:?} of {:?} needs a label of 1 to 40 characters",
                        f.name, e.name
                    ));
                }
                match (f.kind, f.options.len()) {
                    (FieldKind::Select, 2..=20) => {}
                    (FieldKind::Select, n) => p.push(format!(
                        "select field {:?} of {:?} needs 2 to 20 options, not {n}",
                        f.name, e.name
                    )),
                    (_, 0) => {}
                    (_, _) => p.push(format!(
                        "field {:?} of {:?} has options but is not a select",
                        f.name, e.name
                    )),
                }
                match (f.kind, &f.entity) {
                    (FieldKind::Reference, Some(target)) if self.entities.iter().any(|x| &x.name == target) => {}
                    (FieldKind::Reference, Some(target)) => p.push(format!(
                        "reference field {:?} of {:?} points to {target:?}, which is not an entity",
                        f.name, e.name
                    )),
                    (FieldKind::Reference, None) => p.push(format!(
                        "reference field {:?} of {:?} must name its target in `entity`",
                        f.name, e.name
                    )),
                    (_, Some(_)) => p.push(format!(
                        "field {:?} of {:?} names an entity but is not a reference",
                        f.name, e.name
                    )),
                    (_, None) => {}
                }
                if f.options.iter().any(|o| !printable(o, 40)) {
                    p.push(format!(
                        "options of {:?}.{:?} must be 1 to 40 printable characters",
                        e.name, f.name
                    ));
                }
            }
        }
        if self.pages.is_empty() || self.pages.len() > 12 {
            p.push(format!("there must be 1 to 12 pages, not {}", self.pages.len()));
        }
        let mut page_ids = std::collections::HashSet::new();
        for page in &self.pages {
            if !is_kebab(&page.id) {
                p.push(format!("page id {:?} must be lowercase kebab-case", page.id));
            }
            if !page_ids.insert(page.id.as_str()) {
                p.push(format!("page id {:?} is used twice", page.id));
            }
            if !printable(&page.title, 40) {
                p.push(format!("page {:?} needs a title of 1 to 40 characters", page.id));
            }
            match (page.kind, &page.entity) {
                (PageKind::List, Some(e)) if entity_names.contains(e.as_str()) => {}
                (PageKind::List, Some(e)) => p.push(format!("page {:?} lists {e:?}, which is not an entity", page.id)),
                (PageKind::List, None) => p.push(format!("list page {:?} must name its entity", page.id)),
                _ => {}
            }
        }
        for e in &self.entities {
            if !self
                .pages
                .iter()
                .any(|pg| pg.kind == PageKind::List && pg.entity.as_deref() == Some(&e.name))
            {
                p.push(format!("entity {:?} has no list page", e.name));
            }
        }
        if !is_hex_colour(&self.theme.primary) || !is_hex_colour(&self.theme.accent) {
            p.push("theme colours must be #rrggbb".into());
        }
        if self.theme.radius > 24 {
            p.push("theme radius must be 0 to 24".into());
        }
        if !printable(&self.theme.font, 200) || self.theme.font.contains([';', '{', '}', '<']) {
            p.push("theme font must be a plain CSS font stack".into());
        }
        p
    }

    /// The entity called `name`.
    pub fn entity(&self, name: &str) -> Option<&EntitySpec> {
        self.entities.iter().find(|e| e.name == name)
    }

    /// Whether the spec asks for `feature`.
    pub fn has(&self, feature: Feature) -> bool {
        self.features.contains(&feature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> AppSpec {
        AppSpec {
            name: "Habit Tracker".into(),
            summary: "Track daily habits and streaks.".into(),
            features: vec![Feature::DarkMode, Feature::Streaks],
            pages: vec![
                PageSpec {
                    id: "dashboard".into(),
                    title: "Dashboard".into(),
                    kind: PageKind::Dashboard,
                    entity: None,
                },
                PageSpec {
                    id: "habits".into(),
                    title: "Habits".into(),
                    kind: PageKind::List,
                    entity: Some("habit".into()),
                },
            ],
            entities: vec![EntitySpec {
                name: "habit".into(),
                label: "Habit".into(),
                plural: "Habits".into(),
                fields: vec![
                    FieldSpec {
                        name: "title".into(),
                        label: "Title".into(),
                        kind: FieldKind::Text,
                        required: true,
                        options: vec![],
                        entity: None,
                    },
                    FieldSpec {
                        name: "frequency".into(),
                        label: "Frequency".into(),
                        kind: FieldKind::Select,
                        required: false,
                        options: vec!["Daily".into(), "Weekly".into()],
                        entity: None,
                    },
                ],
            }],
            theme: ThemeSpec {
                primary: "#7c3aed".into(),
                accent: "#10b981".into(),
                mode: ThemeMode::Dark,
                radius: 12,
                font: "system-ui, sans-serif".into(),
            },
        }
    }

    #[test]
    fn a_sound_spec_has_no_problems() {
        assert_eq!(sample().validate(), Vec::<String>::new());
    }

    #[test]
    fn problems_name_what_to_fix() {
        let mut s = sample();
        s.entities[0].fields[1].options.clear();
        s.pages[1].entity = Some("ghost".into());
        s.theme.primary = "purple".into();
        let problems = s.validate();
        assert!(
            problems.iter().any(|p| p.contains("needs 2 to 20 options")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("\"ghost\", which is not an entity")),
            "{problems:?}"
        );
        assert!(problems.iter().any(|p| p.contains("has no list page")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("#rrggbb")), "{problems:?}");
    }

    #[test]
    fn reference_fields_must_point_to_an_entity() {
        let mut s = sample();
        let mut link = s.entities[0].fields[0].clone();
        link.name = "partner".into();
        link.kind = FieldKind::Reference;
        link.required = false;
        link.entity = Some("habit".into());
        s.entities[0].fields.push(link);
        assert_eq!(s.validate(), Vec::<String>::new());
        let json = serde_json::to_string(&s).unwrap();
        assert!(
            json.contains("\"kind\":\"reference\",\"required\":false,\"entity\":\"habit\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<AppSpec>(&json).unwrap(), s);
        s.entities[0].fields[2].entity = Some("ghost".into());
        assert!(s
            .validate()
            .iter()
            .any(|p| p.contains("\"ghost\", which is not an entity")));
        s.entities[0].fields[2].entity = None;
        assert!(s.validate().iter().any(|p| p.contains("must name its target")));
    }

    #[test]
    fn a_model_s_json_parses_into_a_spec() {
        let json = serde_json::to_string(&sample()).unwrap();
        let back: AppSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, sample());
        let bad = json.replace("\"select\"", "\"dropdown\"");
        assert!(serde_json::from_str::<AppSpec>(&bad)
            .unwrap_err()
            .to_string()
            .contains("valid values"));
    }
}
