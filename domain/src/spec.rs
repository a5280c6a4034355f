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
        /// One entity's records as cards in columns, one column per option of a select
        /// field (`view.column_field`), moved by drag and drop or by keyboard.
        Board => "board",
        /// One entity's records on a month or week grid by a date field
        /// (`view.date_field`, and `view.end_field` for ranges); add a record on a day.
        Calendar => "calendar",
        /// A countdown or stopwatch that saves a record of one entity (label, day, start
        /// time, minutes) when it ends, with the log beside it.
        Timer => "timer",
        /// Flashcards or a quiz over one entity's question/answer pair
        /// (`view.front_field`, `view.back_field`): flip, mark, score, repeat the missed.
        Study => "study",
        /// A number field over a date field of one entity as a line or bar chart, with
        /// ranges.
        Chart => "chart",
        /// A tick-off list of one entity's records by a boolean field (`view.done_field`),
        /// with reordering and "clear done".
        Checklist => "checklist",
    }
}

string_enum! {
    /// How a chart page draws its values.
    pub enum ChartStyle {
        /// One point per record, joined by a line.
        Line => "line",
        /// One bar per day (values of the same day added up).
        Bar => "bar",
    }
}

string_enum! {
    /// How a study page asks.
    pub enum StudyMode {
        /// Show the front, flip to the back, say whether you knew it.
        Flashcards => "flashcards",
        /// Pick the answer among others (or type it when there are too few records).
        Quiz => "quiz",
    }
}

string_enum! {
    /// What a timer page counts.
    pub enum TimerMode {
        /// Down from `view.minutes`; the record is saved when it reaches zero.
        Countdown => "countdown",
        /// Up from zero; the record is saved when stopped.
        Stopwatch => "stopwatch",
    }
}

impl PageKind {
    /// Whether the page is a view over one entity's records besides its list (board,
    /// calendar, timer, study, chart, checklist): it names its entity and has a `view`.
    pub const fn is_view(self) -> bool {
        matches!(
            self,
            PageKind::Board
                | PageKind::Calendar
                | PageKind::Timer
                | PageKind::Study
                | PageKind::Chart
                | PageKind::Checklist
        )
    }

    /// The `view` settings a page of this kind reads, required ones first; empty for
    /// pages that are not views.
    pub const fn view_settings(self) -> &'static [&'static str] {
        match self {
            PageKind::Board => &["column_field"],
            PageKind::Calendar => &["date_field", "end_field"],
            PageKind::Timer => &[
                "label_field",
                "duration_field",
                "date_field",
                "time_field",
                "timer",
                "minutes",
            ],
            PageKind::Study => &["front_field", "back_field", "study"],
            PageKind::Chart => &["value_field", "date_field", "chart"],
            PageKind::Checklist => &["done_field"],
            PageKind::Dashboard | PageKind::List | PageKind::Settings | PageKind::About => &[],
        }
    }

    /// The `view` settings a page of this kind must have (the first of
    /// [`PageKind::view_settings`]).
    pub fn required_view_settings(self) -> &'static [&'static str] {
        let n = match self {
            PageKind::Timer => 3,
            PageKind::Study | PageKind::Chart => 2,
            PageKind::Board | PageKind::Calendar | PageKind::Checklist => 1,
            PageKind::Dashboard | PageKind::List | PageKind::Settings | PageKind::About => 0,
        };
        &self.view_settings()[..n]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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

impl FieldSpec {
    /// The required text field `name` every entity falls back on when it has no other.
    pub fn name_field() -> Self {
        Self {
            name: "name".into(),
            label: "Name".into(),
            kind: FieldKind::Text,
            required: true,
            options: vec![],
            entity: None,
        }
    }
}

/// A kind of record the app manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PageSpec {
    /// Identifier: lowercase kebab-case, unique (`habits`); becomes the URL hash.
    pub id: String,
    /// Navigation label.
    pub title: String,
    /// What it shows.
    pub kind: PageKind,
    /// The entity a `list` page manages, or a view page (board, calendar, timer, study,
    /// chart, checklist) shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// How a view page shows its entity: which fields it reads and writes; `None` for
    /// dashboard, list, settings and about pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<ViewSpec>,
}

/// A view page's settings: field names of the page's entity, and a few choices. Each page
/// kind reads only its own settings ([`PageKind::view_settings`]); the rest stay unset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ViewSpec {
    /// Board: the select field whose options are the columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_field: Option<String>,
    /// Calendar: the date a record is on (its first day); chart: the x axis; timer: the
    /// day a session started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_field: Option<String>,
    /// Calendar, optional: the last day of a record that spans several days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_field: Option<String>,
    /// Chart: the number (or rating) field drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_field: Option<String>,
    /// Chart, optional: line (the default) or bar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartStyle>,
    /// Study: the field shown first (the question, the word).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_field: Option<String>,
    /// Study: the field to recall (the answer, the translation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_field: Option<String>,
    /// Study, optional: flashcards (the default) or quiz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub study: Option<StudyMode>,
    /// Timer, optional: countdown (the default) or stopwatch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timer: Option<TimerMode>,
    /// Timer, optional: a countdown's length in minutes, 1 to 600 (25 when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u16>,
    /// Timer: the text field that gets the session's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_field: Option<String>,
    /// Timer: the number field that gets the session's length in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_field: Option<String>,
    /// Timer, optional: the text field that gets the start time (`HH:MM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_field: Option<String>,
    /// Checklist: the boolean field ticked when a record is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_field: Option<String>,
}

impl ViewSpec {
    /// The field-name setting called `name` ([`PageKind::view_settings`]), if set.
    pub fn field(&self, name: &str) -> Option<&str> {
        match name {
            "column_field" => self.column_field.as_deref(),
            "date_field" => self.date_field.as_deref(),
            "end_field" => self.end_field.as_deref(),
            "value_field" => self.value_field.as_deref(),
            "front_field" => self.front_field.as_deref(),
            "back_field" => self.back_field.as_deref(),
            "label_field" => self.label_field.as_deref(),
            "duration_field" => self.duration_field.as_deref(),
            "time_field" => self.time_field.as_deref(),
            "done_field" => self.done_field.as_deref(),
            _ => None,
        }
    }

    /// The names of the settings that are set, in declaration order.
    pub fn set_settings(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = VIEW_FIELD_SETTINGS
            .iter()
            .copied()
            .filter(|s| self.field(s).is_some())
            .collect();
        for (name, set) in [
            ("chart", self.chart.is_some()),
            ("study", self.study.is_some()),
            ("timer", self.timer.is_some()),
            ("minutes", self.minutes.is_some()),
        ] {
            if set {
                out.push(name);
            }
        }
        out
    }
}

/// Every field-name setting of [`ViewSpec`] ([`view_setting_kinds`] gives the field kinds
/// each accepts).
pub const VIEW_FIELD_SETTINGS: &[&str] = &[
    "column_field",
    "date_field",
    "end_field",
    "value_field",
    "front_field",
    "back_field",
    "label_field",
    "duration_field",
    "time_field",
    "done_field",
];

/// The field kinds a field-name setting of [`ViewSpec`] accepts.
pub fn view_setting_kinds(setting: &str) -> &'static [FieldKind] {
    match setting {
        "column_field" => &[FieldKind::Select],
        "date_field" | "end_field" => &[FieldKind::Date],
        "value_field" => &[FieldKind::Number, FieldKind::Rating],
        "front_field" | "back_field" => &[
            FieldKind::Text,
            FieldKind::LongText,
            FieldKind::Number,
            FieldKind::Select,
        ],
        "label_field" => &[FieldKind::Text, FieldKind::LongText, FieldKind::Select],
        "duration_field" => &[FieldKind::Number],
        "time_field" => &[FieldKind::Text],
        "done_field" => &[FieldKind::Boolean],
        _ => &[],
    }
}

/// Colours and shape of the generated app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
            self.view_problems(page, &mut p);
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

    /// The problems of one page's view settings (none for pages that are not views but
    /// have no `view` either), each naming the page, the setting and the fix.
    fn view_problems(&self, page: &PageSpec, p: &mut Vec<String>) {
        let kind = page.kind;
        let id = &page.id;
        if !kind.is_view() {
            if page.view.is_some() {
                p.push(format!(
                    "page {id:?} is a {kind} page, which takes no `view`; only board, calendar, timer, study, chart and checklist pages do"
                ));
            }
            return;
        }
        let Some(entity_name) = &page.entity else {
            p.push(format!("{kind} page {id:?} must name its entity"));
            return;
        };
        let Some(entity) = self.entity(entity_name) else {
            p.push(format!("page {id:?} shows {entity_name:?}, which is not an entity"));
            return;
        };
        let settings = kind.view_settings();
        let required = kind.required_view_settings();
        let Some(view) = &page.view else {
            p.push(format!(
                "{kind} page {id:?} needs a `view` object with {}",
                required.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
            ));
            return;
        };
        for s in view.set_settings() {
            if !settings.contains(&s) {
                p.push(format!(
                    "page {id:?} is a {kind} page; its `view` cannot have `{s}` (a {kind} reads {})",
                    settings.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        for s in settings.iter().filter(|s| VIEW_FIELD_SETTINGS.contains(s)) {
            let kinds = view_setting_kinds(s);
            let wanted = kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" or ");
            match view.field(s) {
                None if required.contains(s) => p.push(format!(
                    "{kind} page {id:?} needs `view.{s}`: the name of a {wanted} field of {entity_name:?}"
                )),
                None => {}
                Some(f) => match entity.fields.iter().find(|x| x.name == f) {
                    None => p.push(format!(
                        "page {id:?}: `view.{s}` is {f:?}, which is not a field of {entity_name:?}"
                    )),
                    Some(x) if !kinds.contains(&x.kind) => p.push(format!(
                        "page {id:?}: `view.{s}` {f:?} of {entity_name:?} is a {} field; it must be {wanted}",
                        x.kind
                    )),
                    Some(_) => {}
                },
            }
        }
        for (a, b) in [("front_field", "back_field"), ("date_field", "end_field")] {
            if settings.contains(&a)
                && settings.contains(&b)
                && view.field(a).is_some()
                && view.field(a) == view.field(b)
            {
                p.push(format!(
                    "page {id:?}: `view.{a}` and `view.{b}` must be different fields"
                ));
            }
        }
        if let Some(m) = view.minutes {
            if kind == PageKind::Timer && !(1..=600).contains(&m) {
                p.push(format!("page {id:?}: `view.minutes` must be 1 to 600, not {m}"));
            }
        }
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
                    view: None,
                },
                PageSpec {
                    id: "habits".into(),
                    title: "Habits".into(),
                    kind: PageKind::List,
                    entity: Some("habit".into()),
                    view: None,
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

    fn board(view: Option<ViewSpec>) -> AppSpec {
        let mut s = sample();
        s.pages.push(PageSpec {
            id: "board".into(),
            title: "Board".into(),
            kind: PageKind::Board,
            entity: Some("habit".into()),
            view,
        });
        s
    }

    #[test]
    fn view_pages_are_checked_against_their_entity() {
        let ok = board(Some(ViewSpec {
            column_field: Some("frequency".into()),
            ..ViewSpec::default()
        }));
        assert_eq!(ok.validate(), Vec::<String>::new());

        let problems = board(None).validate();
        assert_eq!(
            problems,
            ["board page \"board\" needs a `view` object with `column_field`"]
        );

        let problems = board(Some(ViewSpec {
            column_field: Some("title".into()),
            date_field: Some("frequency".into()),
            ..ViewSpec::default()
        }))
        .validate();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("\"title\" of \"habit\" is a text field; it must be select")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("cannot have `date_field`")),
            "{problems:?}"
        );

        let mut chart = board(Some(ViewSpec {
            value_field: Some("streak".into()),
            date_field: None,
            ..ViewSpec::default()
        }));
        chart.pages[2].kind = PageKind::Chart;
        let problems = chart.validate();
        assert!(
            problems.iter().any(|p| p.contains("\"streak\", which is not a field")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("needs `view.date_field`: the name of a date field")),
            "{problems:?}"
        );

        let mut ghost = board(None);
        ghost.pages[2].entity = Some("ghost".into());
        assert!(ghost.validate()[0].contains("\"ghost\", which is not an entity"));

        let mut list = sample();
        list.pages[1].view = Some(ViewSpec::default());
        assert!(list.validate()[0].contains("takes no `view`"), "{:?}", list.validate());

        let mut timer = board(Some(ViewSpec {
            label_field: Some("title".into()),
            duration_field: Some("title".into()),
            date_field: Some("title".into()),
            minutes: Some(0),
            ..ViewSpec::default()
        }));
        timer.pages[2].kind = PageKind::Timer;
        let problems = timer.validate();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("must be 1 to 600")), "{problems:?}");
    }

    #[test]
    fn old_specs_parse_and_views_round_trip() {
        let old = r#"{"id":"habits","title":"Habits","kind":"list","entity":"habit"}"#;
        let page: PageSpec = serde_json::from_str(old).unwrap();
        assert_eq!(page.view, None);
        assert_eq!(serde_json::to_string(&page).unwrap(), old);
        let spec = board(Some(ViewSpec {
            column_field: Some("frequency".into()),
            ..ViewSpec::default()
        }));
        let json = serde_json::to_string(&spec).unwrap();
        assert!(json.contains(r#""view":{"column_field":"frequency"}"#), "{json}");
        assert_eq!(serde_json::from_str::<AppSpec>(&json).unwrap(), spec);
        let bad = json.replace(r#""column_field":"frequency""#, r#""chart":"pie""#);
        assert!(serde_json::from_str::<AppSpec>(&bad).is_err());
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
