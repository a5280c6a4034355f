//! View selection: the pages an app gets besides its lists (board, calendar, timer, study,
//! chart, checklist), chosen from the prompt's words in English, German, French and Spanish
//! and from the entities' fields, and configured ([`ViewSpec`]) with the fields each view
//! reads and writes; a field or an entity a view needs and the spec lacks is added.
//!
//! - `choose` (called by `analyze` on its draft): the views the prompt asks for
//!   ("kanban", "Kalender", "minuteur", "tarjetas", "shopping list", ...) go first in the
//!   navigation, in the order the prompt names them. When it asks for none, the fields may
//!   suggest some (a workflow status on a task-like entity: a board; an event-like entity
//!   with a date: a calendar; a question/answer pair: flashcards; ...), each placed after
//!   its entity's list. One reflection note per view says why it was chosen.
//! - `repair` (called by `reflect` on a spec from any source, a model's included): makes
//!   every view page valid against its entity (picks or adds the fields it needs, drops
//!   settings it does not read, or drops the page when it shows nothing known) and adds the
//!   views the prompt plainly asks for that the spec lacks.
//! - `covers`: whether a prompt noun ("columns", "calendar") is covered by a view.
//!
//! Invariants: deterministic (tables and the prompt only); lists stay: every entity keeps
//! its list page, views are added pages; at most one view of each kind is added, never past
//! 12 pages, 8 entities or 16 fields per entity; `repair` leaves `choose`'s output
//! unchanged. The prompt is read by a small tokenizer of its own (lowercase, accents folded,
//! German compounds matched by their ending), so nothing here depends on how the rest of the
//! analysis splits words.

use domain::spec::{
    view_setting_kinds, AppSpec, ChartStyle, EntitySpec, FieldKind, FieldSpec, PageKind, PageSpec, StudyMode,
    TimerMode, ViewSpec,
};

use crate::words::{clean_text, to_kebab, MAX_PROMPT_CHARS};

const MAX_PAGES: usize = 12;
const MAX_ENTITIES: usize = 8;
const MAX_FIELDS: usize = 16;
/// The view kinds, in the order suggestions are tried for one entity.
const KINDS: [PageKind; 6] = [
    PageKind::Study,
    PageKind::Board,
    PageKind::Checklist,
    PageKind::Timer,
    PageKind::Calendar,
    PageKind::Chart,
];

// ---------------------------------------------------------------------------------------
// Reading the prompt
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    De,
    Fr,
    Es,
}

/// The prompt as folded words (lowercase, accents removed), with where each word is in the
/// original text, and its likely language.
struct Text {
    original: String,
    words: Vec<String>,
    spans: Vec<(usize, usize)>,
    lang: Lang,
}

/// `c` lowercased with its accent removed (`ß` becomes `ss`).
fn fold_char(c: char, out: &mut String) {
    for l in c.to_lowercase() {
        let plain = match l {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            'ß' => {
                out.push_str("ss");
                continue;
            }
            'œ' => {
                out.push_str("oe");
                continue;
            }
            'æ' => {
                out.push_str("ae");
                continue;
            }
            other => other,
        };
        out.push(plain);
    }
}

/// `s` folded the way prompt words are.
fn fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

#[rustfmt::skip]
const LANG_WORDS: &[(Lang, &[&str])] = &[
    (Lang::En, &["the", "a", "an", "and", "for", "with", "my", "of", "to", "in", "i", "that", "on", "our", "is"]),
    (Lang::De, &[
        "der", "die", "das", "und", "ein", "eine", "einen", "einem", "einer", "fur", "mit", "mein", "meine", "meinen",
        "meiner", "meinem", "unser", "unsere", "von", "zu", "im", "ich", "ist", "auf", "den", "dem",
    ]),
    (Lang::Fr, &[
        "le", "la", "les", "des", "un", "une", "pour", "avec", "mon", "ma", "mes", "du", "et", "au", "aux", "je",
        "sur", "notre", "nos", "de",
    ]),
    (Lang::Es, &[
        "el", "la", "los", "las", "un", "una", "para", "con", "mi", "mis", "del", "y", "al", "yo", "por", "nuestro",
        "nuestra", "de",
    ]),
];

impl Text {
    fn new(prompt: &str) -> Text {
        let original: String = prompt.chars().take(MAX_PROMPT_CHARS).collect();
        let mut words = Vec::new();
        let mut spans = Vec::new();
        let mut cur = String::new();
        let mut start = 0;
        for (i, c) in original.char_indices() {
            if c.is_alphanumeric() {
                if cur.is_empty() {
                    start = i;
                }
                fold_char(c, &mut cur);
            } else if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
                spans.push((start, i));
            }
        }
        if !cur.is_empty() {
            words.push(cur);
            spans.push((start, original.len()));
        }
        let lang = LANG_WORDS
            .iter()
            .map(|(lang, list)| (*lang, words.iter().filter(|w| list.contains(&w.as_str())).count()))
            .fold(
                (Lang::En, 0),
                |best, (lang, n)| if n > best.1 { (lang, n) } else { best },
            )
            .0;
        Text {
            original,
            words,
            spans,
            lang,
        }
    }

    fn word(&self, i: usize) -> &str {
        self.words.get(i).map_or("", String::as_str)
    }

    fn has_word(&self, w: &str) -> bool {
        self.words.iter().any(|x| x == w || x.strip_suffix('s') == Some(w))
    }

    /// Where `pattern` (space-separated tokens; `*x` matches a word ending in `x`, `x*` one
    /// starting with `x`) starts, every occurrence.
    fn find_all(&self, pattern: &str) -> Vec<usize> {
        let tokens: Vec<&str> = pattern.split(' ').collect();
        (0..self.words.len())
            .filter(|&i| {
                tokens
                    .iter()
                    .enumerate()
                    .all(|(k, t)| self.words.get(i + k).is_some_and(|w| token_matches(w, t)))
            })
            .collect()
    }

    /// Whether the word at `index` follows a negation closely ("no", "without", "ohne",
    /// "sans", "sin", ...).
    fn negated(&self, index: usize) -> bool {
        const NEGATIONS: &[&str] = &[
            "no", "not", "without", "dont", "don", "doesn", "didn", "never", "kein", "keine", "keinen", "keinem",
            "keiner", "ohne", "nicht", "sans", "pas", "jamais", "ni", "sin", "nunca",
        ];
        let from = index.saturating_sub(3);
        self.words[from..index].iter().any(|w| NEGATIONS.contains(&w.as_str()))
    }

    /// The original text after word `i`.
    fn after(&self, i: usize) -> &str {
        self.spans.get(i).map_or("", |(_, end)| &self.original[*end..])
    }
}

fn token_matches(word: &str, token: &str) -> bool {
    if let Some(stem) = token.strip_prefix('*') {
        word.ends_with(stem)
    } else if let Some(stem) = token.strip_suffix('*') {
        word.starts_with(stem)
    } else {
        word == token
    }
}

// ---------------------------------------------------------------------------------------
// The words that ask for a view
// ---------------------------------------------------------------------------------------

/// What a cue says beyond its view kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    Plain,
    /// A board called a pipeline.
    Pipeline,
    Countdown,
    Stopwatch,
    Cards,
    Quiz,
    Line,
    Bar,
    /// A column word: a board cue unless the prompt talks about tables.
    Columns,
}

impl Hint {
    /// Whether the hint says more than the view kind.
    fn specific(self) -> bool {
        !matches!(self, Hint::Plain | Hint::Columns)
    }
}

/// A phrase that asks for a view; `lang` limits a word that means something else in other
/// languages ("planning", "tableau", "agenda") to the language where it asks for the view.
struct Cue {
    kind: PageKind,
    phrase: &'static str,
    lang: Option<Lang>,
    hint: Hint,
}

macro_rules! cues {
    ($($kind:ident $hint:ident $lang:tt [$($p:literal),+ $(,)?];)+) => {
        &[$($(Cue { kind: PageKind::$kind, phrase: $p, lang: cues!(@lang $lang), hint: Hint::$hint },)+)+]
    };
    (@lang any) => { None };
    (@lang $l:ident) => { Some(Lang::$l) };
}

#[rustfmt::skip]
const CUES: &[Cue] = cues! {
    Board Plain any [
        "kanban*", "board", "boards", "taskboard*", "scrumboard*", "sprintboard*", "projektboard*", "aufgabenboard*",
        "trello", "swimlane*", "tablero", "tableros", "kanbantafel*",
    ];
    Board Pipeline any ["pipeline", "pipelines"];
    Board Columns any ["column", "columns", "spalte", "spalten", "colonne", "colonnes", "columna", "columnas"];
    Board Plain Fr ["tableau", "tableaux"];
    Calendar Plain any [
        "calendar*", "*kalender", "calendrier*", "calendario*", "schedule", "schedules", "scheduling", "scheduler",
        "month view", "monthly view", "week view", "weekly view", "timetable*", "rota", "rotas", "roster", "rosters",
        "stundenplan*", "dienstplan*", "terminplan*", "zeitplan*", "wochenplan*", "belegungsplan*", "monatsansicht",
        "wochenansicht",
        "emploi du temps", "emplois du temps", "vue mensuelle", "vue hebdomadaire", "horario*", "cronograma*",
        "vista mensual", "vista semanal",
    ];
    Calendar Plain Fr ["agenda", "agendas", "planning", "plannings"];
    Calendar Plain Es ["agenda", "agendas"];
    Timer Plain any ["timer", "timers", "*timer", "minuterie*", "temporizador*", "focus session*"];
    Timer Countdown any ["pomodoro*", "minuteur*", "kurzzeitmesser", "eieruhr", "countdown timer*"];
    Timer Stopwatch any [
        "stopwatch*", "stop watch*", "stoppuhr*", "chronometre*", "chrono", "cronometro*", "time tracker*",
        "time tracking", "track my time", "track time", "timesheet*", "zeiterfassung*", "suivi du temps",
        "control de tiempo", "registro de tiempo", "registro de horas",
    ];
    Timer Countdown any ["compte a rebours", "cuenta atras", "cuenta regresiva"];
    Study Cards any [
        "flashcard*", "flash card*", "karteikarte*", "lernkarte*", "vokabel*", "vocabulary", "vocab",
        "vocabulaire", "vocabulario", "spaced repetition", "memorize", "memorise", "memorizing", "memorising",
        "memoriser", "memorizar", "auswendig", "carte memoire", "cartes memoire", "fiche de revision",
        "fiches de revision", "fiches de revisions", "tarjetas de estudio", "tarjetas de memoria",
        "tarjetas de vocabulario", "tarjetas didacticas", "fichas de estudio", "study card*", "revision card*",
    ];
    Study Quiz Fr ["questionnaire", "questionnaires"];
    Study Quiz any [
        "quiz*", "trivia", "test myself", "cuestionario*", "questions and answers", "question and answer",
        "fragen und antworten", "questions reponses", "questions et reponses", "preguntas y respuestas",
    ];
    Chart Bar any [
        "bar chart*", "bar graph*", "*balkendiagramm*", "histogram*", "diagramme en barres", "diagramme a barres",
        "diagrammes en barres", "grafico de barras", "graficos de barras", "grafica de barras", "column chart*",
    ];
    Chart Line any ["line chart*", "line graph*", "liniendiagramm*", "kurve", "kurven", "courbe*", "curva", "curvas"];
    Chart Plain any [
        "chart", "charts", "graph", "graphs", "over time", "trend", "trends", "*diagramm", "*diagramme", "verlauf",
        "im zeitverlauf", "graphique*", "au fil du temps", "dans le temps", "grafico*", "grafica*", "grafik*",
        "a lo largo del tiempo", "con el tiempo", "tendencia*",
    ];
    Chart Plain Fr ["evolution"];
    Chart Plain Es ["evolucion", "diagrama", "diagramas"];
    Checklist Plain any [
        "checklist*", "check list*", "checkliste*", "shopping list*", "grocery list*", "groceries list*",
        "packing list*", "to do list*", "todo list*", "todolist*", "bucket list*", "tick off", "check off", "cross off",
        "einkaufsliste*", "einkaufszettel*", "packliste*", "abhakliste*", "to do liste*", "todo liste*", "abhaken",
        "liste de courses", "liste des courses", "liste de course", "liste de valise", "liste de bagages",
        "liste de controle", "liste a cocher", "liste de choses a faire", "liste de taches", "liste d achats",
        "lista de compras",
        "lista de la compra",
        "lista del super*", "lista de equipaje", "lista de verificacion", "lista de tareas", "lista de pendientes",
    ];
};

/// Phrases in which a cue word means something else ("board game", "seating chart").
#[rustfmt::skip]
const NOT_VIEWS: &[(PageKind, &[&str])] = &[
    (PageKind::Board, &[
        "board game*", "boardgame*", "board of director*", "board of trustee*", "board of governor*", "board of education", "mood board*", "vision board*", "message board*",
        "bulletin board*", "notice board*", "pin board*", "cutting board*", "chess board*", "board member*",
        "on board", "tablero de control", "tablero de mando", "tablero de ajedrez", "tableau de bord*",
        "tableaux de bord*", "column chart*", "tableau de*", "gas pipeline*", "oil pipeline*",
    ]),
    (PageKind::Calendar, &["schedule a*", "schedule an*"]),
    (PageKind::Timer, &["oldtimer*"]),
    (PageKind::Study, &["quiz night*", "pub quiz*", "quizmaster*"]),
    (PageKind::Chart, &[
        "seating chart*", "org chart*", "organization chart*", "organisation chart*", "organizational chart*",
        "organisational chart*", "chart of accounts", "birth chart*", "star chart*", "chore chart*", "flow chart*",
        "size chart*", "music chart*", "top chart*",
    ]),
];

/// Words that make "columns" mean a table's columns rather than a board's.
const TABLE_WORDS: &[&str] = &[
    "table",
    "tables",
    "spreadsheet",
    "spreadsheets",
    "excel",
    "tabelle",
    "tabellen",
    "tabla",
    "tablas",
    "csv",
];

/// One view the prompt asks for: its kind, the words that asked, where, and what they say.
#[derive(Debug, Clone)]
struct Request {
    kind: PageKind,
    cue: String,
    at: usize,
    hint: Hint,
}

/// The views the prompt asks for, one per kind, in the order it first names them; a kind's
/// hint is that of its first specific cue in the table (a bar chart, a stopwatch, a quiz).
fn requests(t: &Text) -> Vec<Request> {
    let mut out: Vec<Request> = Vec::new();
    let tables = TABLE_WORDS.iter().any(|w| t.has_word(w));
    // Where the phrases that mean something else are: (kind, first word, words).
    let mut excluded: Vec<(PageKind, usize, usize)> = Vec::new();
    for (kind, phrases) in NOT_VIEWS {
        for ph in *phrases {
            let n = ph.split(' ').count();
            excluded.extend(t.find_all(ph).into_iter().map(|at| (*kind, at, n)));
        }
    }
    for cue in CUES {
        if cue.lang.is_some_and(|l| l != t.lang) || (cue.hint == Hint::Columns && tables) {
            continue;
        }
        let len = cue.phrase.split(' ').count();
        let inside = |at: usize| {
            excluded
                .iter()
                .any(|(k, s, n)| *k == cue.kind && *s <= at && at + len <= s + n)
        };
        let Some(at) = t
            .find_all(cue.phrase)
            .into_iter()
            .find(|&i| !t.negated(i) && !inside(i))
        else {
            continue;
        };
        let found = Request {
            kind: cue.kind,
            cue: t.words[at..at + len].join(" "),
            at,
            hint: if cue.hint.specific() { cue.hint } else { Hint::Plain },
        };
        match out.iter_mut().find(|r| r.kind == cue.kind) {
            Some(r) => {
                if !r.hint.specific() {
                    r.hint = found.hint;
                }
                if found.at < r.at {
                    r.at = found.at;
                    r.cue = found.cue;
                }
            }
            None => out.push(found),
        }
    }
    out.sort_by_key(|r| r.at);
    out
}

/// The board columns the prompt names after a column word: "columns todo, doing and done",
/// "Spalten: Offen, In Arbeit, Erledigt", "colonnes (à faire / en cours / terminé)".
fn named_columns(t: &Text) -> Option<Vec<String>> {
    const LIST_WORDS: &[&str] = &[
        "column", "columns", "lane", "lanes", "stage", "stages", "status", "statuses", "spalte", "spalten", "phasen",
        "stufen", "colonne", "colonnes", "etapes", "statuts", "columna", "columnas", "etapas", "estados",
    ];
    (0..t.words.len())
        .filter(|&i| LIST_WORDS.contains(&t.word(i)))
        .find_map(|i| parse_list(t.after(i)))
}

/// A short list at the start of `rest`: 2 to 8 items of 1 to 3 words, separated by commas,
/// slashes, arrows or "and"/"und"/"et"/"y" (which end the list after their item).
fn parse_list(rest: &str) -> Option<Vec<String>> {
    const FILLERS: &[&str] = &[
        "like",
        "such as",
        "named",
        "called",
        "for",
        "of",
        "e.g.",
        "eg",
        "wie",
        "namens",
        "genannt",
        "fur",
        "für",
        "comme",
        "nommees",
        "nommées",
        "appelees",
        "appelées",
        "pour",
        "como",
        "llamadas",
        "para",
        "de",
        "des",
    ];
    const CONJUNCTIONS: &[&str] = &[
        " and ", " or ", " und ", " oder ", " et ", " ou ", " y ", " o ", " & ", " then ",
    ];
    const STOPS: &[&str] = &[
        "for", "with", "to", "in", "on", "that", "which", "where", "so", "plus", "mit", "für", "um", "avec", "pour",
        "dans", "con", "para", "en", "where", "and", "und", "et", "y",
    ];
    let mut s = rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '–' | '—' | '='));
    loop {
        let lower = s.to_lowercase();
        let Some(f) = FILLERS
            .iter()
            .find(|f| lower.starts_with(*f) && lower[f.len()..].starts_with(|c: char| c.is_whitespace() || c == ':'))
        else {
            break;
        };
        s = s[f.len()..].trim_start_matches(|c: char| c.is_whitespace() || c == ':');
    }
    let body = if let Some(inner) = s.strip_prefix(['(', '[']) {
        inner.split([')', ']']).next().unwrap_or("")
    } else {
        s.split(['.', ';', '!', '?', '(', ')', '[', ']', '\n'])
            .next()
            .unwrap_or("")
    };
    let mut items: Vec<String> = Vec::new();
    let mut rest = body.to_string();
    let mut last = false;
    loop {
        let lower = rest.to_lowercase();
        let plain = [",", "/", "|", "→", "->", "=>", ">", "·"]
            .iter()
            .filter_map(|sep| lower.find(sep).map(|at| (at, sep.len(), false)));
        let conj = CONJUNCTIONS
            .iter()
            .filter_map(|sep| lower.find(sep).map(|at| (at, sep.len(), true)));
        let next = plain.chain(conj).min_by_key(|(at, _, _)| *at);
        let (piece, after, is_conj) = match next {
            Some((at, len, c)) if !last => (rest[..at].to_string(), rest[at + len..].to_string(), c),
            _ => (rest.clone(), String::new(), false),
        };
        let words: Vec<&str> = piece
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '«' | '»' | '`')))
            .filter(|w| !w.is_empty())
            .collect();
        // "done for my side projects": the item ends where a preposition starts a phrase
        // ("In progress" keeps its first word).
        let cut = words
            .iter()
            .skip(1)
            .position(|w| STOPS.contains(&w.to_lowercase().as_str()))
            .map_or(words.len(), |i| i + 1);
        let item = words[..cut].join(" ");
        let stopped = cut < words.len();
        if item.is_empty() || cut > 3 || item.chars().count() > 30 || !item.chars().any(char::is_alphabetic) {
            break;
        }
        if !items.iter().any(|x| x.eq_ignore_ascii_case(&item)) {
            let mut c = item.chars();
            let first: String = c.next().map(|f| f.to_uppercase().collect()).unwrap_or_default();
            items.push(first + c.as_str());
        }
        if last || stopped || after.trim().is_empty() || items.len() >= 8 {
            break;
        }
        last = is_conj;
        rest = after;
    }
    (items.len() >= 2).then_some(items)
}

/// A countdown's length the prompt gives ("25 minutes", "a 50-min timer", "1 hour").
fn named_minutes(t: &Text) -> Option<u16> {
    (0..t.words.len()).find_map(|i| {
        let w = t.word(i);
        let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return None;
        }
        let n: u32 = digits.parse().ok()?;
        let unit = if digits.len() < w.len() {
            &w[digits.len()..]
        } else {
            t.word(i + 1)
        };
        let minutes = if unit.starts_with("min") {
            n
        } else if ["hour", "hr", "stunde", "heure", "hora", "h"]
            .iter()
            .any(|u| unit.starts_with(u))
        {
            n * 60
        } else {
            return None;
        };
        (1..=600)
            .contains(&minutes)
            .then(|| u16::try_from(minutes).unwrap_or(25))
    })
}

// ---------------------------------------------------------------------------------------
// Fields and entities
// ---------------------------------------------------------------------------------------

/// Names that suit each field setting of a view (folded words of a field's name or label).
#[rustfmt::skip]
fn role_names(role: &str) -> &'static [&'static str] {
    match role {
        "column_field" => &[
            "status", "stage", "state", "phase", "column", "lane", "step", "progress", "statut", "etat", "estado",
            "etapa", "fase", "stufe", "spalte", "colonne", "columna",
        ],
        "date_field" => &[
            "date", "day", "start", "starts", "begin", "from", "when", "scheduled", "datum", "fecha", "jour", "tag",
            "debut", "inicio", "beginn", "on",
        ],
        "end_field" => &[
            "end", "ends", "until", "to", "return", "finish", "checkout", "out", "bis", "fin", "hasta", "ende",
            "retour", "vuelta",
        ],
        "value_field" => &[
            "weight", "value", "amount", "reading", "score", "total", "count", "distance", "price", "cost", "level",
            "minutes", "hours", "calories", "steps", "temperature", "pressure", "glucose", "gewicht", "wert",
            "betrag", "poids", "valeur", "montant", "peso", "valor", "importe",
        ],
        "front_field" => &[
            "front", "question", "term", "word", "prompt", "clue", "phrase", "expression", "frage", "vorderseite",
            "begriff", "wort", "recto", "mot", "pregunta", "anverso", "palabra", "termino",
        ],
        "back_field" => &[
            "back", "answer", "definition", "translation", "meaning", "solution", "explanation", "antwort",
            "ruckseite", "rueckseite", "bedeutung", "ubersetzung", "uebersetzung", "losung", "loesung", "verso",
            "reponse", "traduction", "signification", "respuesta", "reverso", "traduccion", "significado", "solucion",
        ],
        "label_field" => &[
            "label", "name", "title", "task", "activity", "what", "description", "focus", "bezeichnung", "titel",
            "titre", "nom", "titulo", "nombre",
        ],
        "duration_field" => &[
            "duration", "minutes", "mins", "length", "spent", "dauer", "minuten", "duree", "duracion", "minutos",
        ],
        "time_field" => &["time", "started", "clock", "uhrzeit", "heure", "hora"],
        "done_field" => &[
            "done", "completed", "complete", "bought", "packed", "checked", "got", "finished", "purchased", "ticked",
            "visited", "achieved",
            "erledigt", "gekauft", "gepackt", "fait", "fini", "achete", "termine", "hecho", "comprado", "listo",
            "empacado",
        ],
        _ => &[],
    }
}

/// Words of an entity's name or label that say what a view suits.
#[rustfmt::skip]
const WORK_LIKE: &[&str] = &[
    "task", "todo", "project", "ticket", "issue", "bug", "story", "card", "application", "deal", "lead", "order",
    "request", "job", "feature", "candidate", "applicant", "opportunity", "aufgabe", "projekt", "tache", "projet",
    "tarea", "proyecto", "pedido", "commande", "bestellung", "auftrag",
];
#[rustfmt::skip]
const EVENT_LIKE: &[&str] = &[
    "event", "appointment", "meeting", "booking", "reservation", "holiday", "vacation", "leave", "absence", "shift",
    "class", "lesson", "visit", "trip", "interview", "exam", "deadline", "birthday", "concert", "party", "termin",
    "urlaub", "veranstaltung", "treffen", "besuch", "schicht", "evenement", "rendez", "reunion", "conge", "vacances",
    "cita", "evento", "vacaciones", "turno", "viaje", "voyage", "reise",
];
#[rustfmt::skip]
const MEASURE_LIKE: &[&str] = &[
    "weight", "weigh", "measurement", "reading", "glucose", "pressure", "temperature", "vital", "bmi", "pulse",
    "steps", "gewicht", "messung", "messwert", "blutdruck", "blutzucker", "poids", "mesure", "tension", "glycemie",
    "peso", "medicion", "medida", "presion", "glucosa",
];
#[rustfmt::skip]
const SESSION_LIKE: &[&str] = &[
    "session", "pomodoro", "focus", "sitting", "meditation", "interval", "timer", "sitzung", "seance", "sesion",
];
#[rustfmt::skip]
const STUDY_LIKE: &[&str] = &[
    "flashcard", "card", "question", "word", "vocabulary", "vocab", "term", "quiz", "trivia", "karte",
    "karteikarte", "lernkarte", "vokabel", "frage", "wort", "carte", "fiche", "mot", "tarjeta", "pregunta", "palabra",
];
#[rustfmt::skip]
const LIST_ITEM_LIKE: &[&str] = &[
    "shopping", "grocery", "packing", "checklist", "item", "todo", "einkauf", "packliste", "achat", "compra", "equipaje",
    "bagage", "valise", "erledigung",
];

#[rustfmt::skip]
const MONEY_LIKE: &[&str] = &[
    "amount", "cost", "price", "spent", "spending", "expense", "budget", "betrag", "ausgabe", "kosten", "montant",
    "depense", "cout", "importe", "gasto", "coste", "precio",
];

/// Folded words of a name or label (`due_date` -> `due`, `date`), singular.
fn name_words(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() >= 3 && !w.ends_with("ss") => stem.to_string(),
            _ => w.to_string(),
        })
        .collect()
}

fn entity_is(e: &EntitySpec, list: &[&str]) -> bool {
    name_words(&e.name)
        .iter()
        .chain(name_words(&e.label).iter())
        .any(|w| list.contains(&w.as_str()))
}

/// How well `f` suits a view setting: 0 when it does not.
fn field_fit(f: &FieldSpec, role: &str) -> u32 {
    if !view_setting_kinds(role).contains(&f.kind) {
        return 0;
    }
    let names = role_names(role);
    let words = name_words(&f.name);
    if names.contains(&f.name.as_str()) {
        return 10;
    }
    let label = name_words(&f.label);
    if words.iter().any(|w| names.contains(&w.as_str())) {
        6
    } else if label.iter().any(|w| names.contains(&w.as_str())) {
        4
    } else {
        1
    }
}

/// Whether a view setting may use a field whose name says nothing about the role (any date
/// is a calendar's date; only a status-like select gives board columns).
fn any_name_will_do(role: &str) -> bool {
    matches!(role, "date_field" | "label_field" | "value_field")
}

/// The best field of `e` for a view setting, other than `except`.
fn pick_field(e: &EntitySpec, role: &str, except: Option<&str>, t: &Text) -> Option<String> {
    let least = if any_name_will_do(role) { 1 } else { 4 };
    e.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| Some(f.name.as_str()) != except)
        .filter(|(_, f)| !(role == "value_field" && matches!(f.name.as_str(), "year" | "vintage")))
        .map(|(i, f)| (field_fit(f, role), i, f))
        .filter(|(fit, _, _)| *fit >= least)
        .map(|(fit, i, f)| {
            // "track my weight": the field the prompt names.
            let mentioned = role == "value_field" && name_words(&f.name).iter().any(|w| t.has_word(w));
            (fit + if mentioned { 5 } else { 0 }, i, f)
        })
        .max_by_key(|(score, i, _)| (*score, std::cmp::Reverse(*i)))
        .map(|(_, _, f)| f.name.clone())
}

/// The calendar's last-day field: an end-like date when the first-day field is start-like.
fn pick_end(e: &EntitySpec, date: &str, t: &Text) -> Option<String> {
    let start_like = name_words(date).iter().any(|w| {
        [
            "start",
            "begin",
            "from",
            "checkin",
            "departure",
            "debut",
            "inicio",
            "beginn",
        ]
        .contains(&w.as_str())
    });
    if !start_like {
        return None;
    }
    pick_field(e, "end_field", Some(date), t)
}

/// Default board columns in the prompt's language.
fn default_columns(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => &["To do", "Doing", "Done"],
        Lang::De => &["Offen", "In Arbeit", "Erledigt"],
        Lang::Fr => &["À faire", "En cours", "Terminé"],
        Lang::Es => &["Pendiente", "En curso", "Hecho"],
    }
}

/// A field a view setting can add, with the names it may take (the first unused one).
struct NewField {
    field: FieldSpec,
    names: &'static [&'static str],
}

/// A new field for a view setting (not required, so the entity's forms keep working).
fn new_field(role: &str, mode: Hint, columns: &[String]) -> NewField {
    let (names, label, kind): (&'static [&'static str], &str, FieldKind) = match role {
        "column_field" => (&["status", "stage", "column"], "Status", FieldKind::Select),
        "date_field" => (&["date", "day", "on_date"], "Date", FieldKind::Date),
        "end_field" => (&["end_date", "until"], "End date", FieldKind::Date),
        "value_field" => (&["value", "amount", "reading"], "Value", FieldKind::Number),
        "front_field" if mode == Hint::Quiz => (&["question", "prompt", "front"], "Question", FieldKind::Text),
        "front_field" => (&["front", "question", "prompt"], "Front", FieldKind::Text),
        "back_field" if mode == Hint::Quiz => (&["answer", "solution", "back"], "Answer", FieldKind::Text),
        "back_field" => (&["back", "answer", "solution"], "Back", FieldKind::Text),
        "label_field" => (&["label", "session_label", "what"], "Label", FieldKind::Text),
        "duration_field" => (
            &["minutes", "duration_minutes", "session_minutes"],
            "Minutes",
            FieldKind::Number,
        ),
        "time_field" => (&["started_at", "start_time", "time"], "Start time", FieldKind::Text),
        _ => (&["done", "is_done", "checked"], "Done", FieldKind::Boolean),
    };
    NewField {
        field: FieldSpec {
            name: names[0].into(),
            label: label.into(),
            kind,
            required: false,
            options: if kind == FieldKind::Select {
                columns.to_vec()
            } else {
                Vec::new()
            },
            entity: None,
        },
        names,
    }
}

/// Adds `new` to `e` under the first of its names that `e` does not use; `None` when `e`
/// is full or every name is taken.
fn add_field(e: &mut EntitySpec, new: NewField) -> Option<String> {
    if e.fields.len() >= MAX_FIELDS {
        return None;
    }
    let name = new.names.iter().find(|n| !e.fields.iter().any(|f| f.name == **n))?;
    let mut f = new.field;
    f.name = (*name).to_string();
    e.fields.push(f);
    Some((*name).to_string())
}

fn label_of(e: &EntitySpec, field: &str) -> String {
    e.fields
        .iter()
        .find(|f| f.name == field)
        .map_or_else(|| field.to_string(), |f| f.label.clone())
}

// ---------------------------------------------------------------------------------------
// Configuring one view
// ---------------------------------------------------------------------------------------

/// What configuring a view did to its entity, for the notes.
#[derive(Default)]
struct Changes {
    added: Vec<String>,
    columns_from_prompt: Option<Vec<String>>,
}

impl Changes {
    /// "; Tasks gained status, date" (empty when nothing was added).
    fn gained(&self, e: &EntitySpec) -> String {
        if self.added.is_empty() {
            return String::new();
        }
        let added: Vec<String> = self.added.iter().map(|a| a.to_lowercase()).collect();
        format!("; {} gained {}", e.plural, added.join(", "))
    }
}

/// Fills `view`'s required settings for a `kind` page over `e` (keeping valid ones, picking
/// or adding fields for the rest) and, when `full`, its optional ones from the prompt;
/// `None` when `e` cannot take a field it needs.
fn configure(
    kind: PageKind,
    e: &mut EntitySpec,
    view: &mut ViewSpec,
    t: &Text,
    hint: Hint,
    full: bool,
) -> Option<Changes> {
    let mut changes = Changes::default();
    let columns = if kind == PageKind::Board && full {
        named_columns(t)
    } else {
        None
    };
    let default_cols: Vec<String> = default_columns(t.lang).iter().map(|c| (*c).to_string()).collect();
    for role in kind.required_view_settings() {
        let valid = get(view, role).is_some_and(|name| {
            e.fields
                .iter()
                .any(|f| f.name == name && view_setting_kinds(role).contains(&f.kind))
        });
        let other = match *role {
            "back_field" => view.front_field.clone(),
            "front_field" => view.back_field.clone(),
            _ => None,
        };
        let taken = valid && other.as_deref() != get(view, role);
        let name = if taken {
            get(view, role).map(str::to_string)
        } else {
            let picked = match *role {
                // A study page's front is the record's title when nothing else fits.
                "front_field" => pick_field(e, role, other.as_deref(), t).or_else(|| {
                    e.fields
                        .first()
                        .filter(|f| field_fit(f, role) > 0 && Some(f.name.as_str()) != other.as_deref())
                        .map(|f| f.name.clone())
                }),
                _ => pick_field(e, role, other.as_deref(), t),
            };
            match picked {
                Some(p) => Some(p),
                None => {
                    let cols = columns.clone().unwrap_or_else(|| default_cols.clone());
                    let mut new = new_field(role, hint, &cols);
                    if *role == "value_field" && entity_is(e, MEASURE_LIKE) {
                        // "Weight" over time: the number is the entity's own measure.
                        new.field.label.clone_from(&e.label);
                    }
                    let added = add_field(e, new)?;
                    changes.added.push(label_of(e, &added));
                    Some(added)
                }
            }
        };
        set(view, role, name);
    }
    if let (Some(cols), Some(field)) = (&columns, view.column_field.clone()) {
        if let Some(f) = e.fields.iter_mut().find(|f| f.name == field) {
            f.options.clone_from(cols);
            changes.columns_from_prompt = Some(cols.clone());
        }
    }
    if full {
        match kind {
            PageKind::Calendar => {
                let date = view.date_field.clone().unwrap_or_default();
                view.end_field = pick_end(e, &date, t);
            }
            PageKind::Chart => {
                // Money adds up per day: bars; readings are points on a line.
                let money = view
                    .value_field
                    .as_deref()
                    .map(name_words)
                    .unwrap_or_default()
                    .iter()
                    .chain(name_words(&e.name).iter())
                    .any(|w| MONEY_LIKE.contains(&w.as_str()));
                view.chart = Some(if hint == Hint::Bar || (hint != Hint::Line && money) {
                    ChartStyle::Bar
                } else {
                    ChartStyle::Line
                });
            }
            PageKind::Study => {
                view.study = Some(if hint == Hint::Quiz {
                    StudyMode::Quiz
                } else {
                    StudyMode::Flashcards
                });
            }
            PageKind::Timer => {
                let stopwatch = hint == Hint::Stopwatch;
                view.timer = Some(if stopwatch {
                    TimerMode::Stopwatch
                } else {
                    TimerMode::Countdown
                });
                if !stopwatch {
                    let pomodoro = t.words.iter().any(|w| w.starts_with("pomodoro") || w == "focus");
                    view.minutes = Some(named_minutes(t).unwrap_or(if pomodoro { 25 } else { 10 }));
                }
                view.time_field = pick_field(e, "time_field", None, t);
                if view.time_field.is_none() && entity_is(e, SESSION_LIKE) {
                    // A log of sessions gets a start time too.
                    if let Some(added) = add_field(e, new_field("time_field", hint, &[])) {
                        changes.added.push(label_of(e, &added));
                        view.time_field = Some(added);
                    }
                }
            }
            _ => {}
        }
    }
    Some(changes)
}

fn get<'a>(view: &'a ViewSpec, role: &str) -> Option<&'a str> {
    view.field(role)
}

fn set(view: &mut ViewSpec, role: &str, value: Option<String>) {
    let slot = match role {
        "column_field" => &mut view.column_field,
        "date_field" => &mut view.date_field,
        "end_field" => &mut view.end_field,
        "value_field" => &mut view.value_field,
        "front_field" => &mut view.front_field,
        "back_field" => &mut view.back_field,
        "label_field" => &mut view.label_field,
        "duration_field" => &mut view.duration_field,
        "time_field" => &mut view.time_field,
        _ => &mut view.done_field,
    };
    *slot = value;
}

/// Unsets the settings a `kind` page does not read and the field settings that name no
/// suitable field of `e`, and brings a timer's minutes into range; one note per change.
fn prune(page: &PageSpec, e: &EntitySpec, view: &mut ViewSpec) -> Vec<String> {
    let settings = page.kind.view_settings();
    let mut unused = Vec::new();
    let mut notes = Vec::new();
    for s in view.set_settings() {
        if !settings.contains(&s) {
            match s {
                "chart" => view.chart = None,
                "study" => view.study = None,
                "timer" => view.timer = None,
                "minutes" => view.minutes = None,
                field => set(view, field, None),
            }
            unused.push(format!("`{s}`"));
            continue;
        }
        let Some(name) = view.field(s).map(str::to_string) else {
            continue;
        };
        let fits = e
            .fields
            .iter()
            .any(|f| f.name == name && view_setting_kinds(s).contains(&f.kind));
        let same = (s == "end_field" && view.end_field == view.date_field)
            || (s == "back_field" && view.back_field == view.front_field);
        if !fits || same {
            set(view, s, None);
            notes.push(format!(
                "The {} page {:?}: `{s}` {name:?} {}; dropped it.",
                page.kind,
                page.id,
                if same {
                    "repeated another setting's field".to_string()
                } else {
                    let kinds: Vec<&str> = view_setting_kinds(s).iter().map(|k| k.as_str()).collect();
                    format!("is not a {} field of {:?}", kinds.join(" or "), e.name)
                }
            ));
        }
    }
    if !unused.is_empty() {
        notes.insert(
            0,
            format!(
                "The {} page {:?} does not use {}; dropped {}.",
                page.kind,
                page.id,
                unused.join(", "),
                if unused.len() == 1 { "it" } else { "them" }
            ),
        );
    }
    if page.kind == PageKind::Timer {
        if let Some(m) = view.minutes.filter(|m| !(1..=600).contains(m)) {
            view.minutes = Some(m.clamp(1, 600));
            notes.push(format!(
                "The timer page {:?} counted {m} minutes; it now counts {} (1 to 600).",
                page.id,
                m.clamp(1, 600)
            ));
        }
    }
    notes
}

// ---------------------------------------------------------------------------------------
// Which entity a view shows
// ---------------------------------------------------------------------------------------

/// Whether `e` is named within a few words of the cue at `at`.
fn named_near(e: &EntitySpec, t: &Text, at: usize) -> bool {
    let mine: Vec<String> = name_words(&e.name).into_iter().chain(name_words(&e.plural)).collect();
    let from = at.saturating_sub(3);
    let to = (at + 7).min(t.words.len());
    (from..to).any(|i| {
        let w = t.word(i);
        let stem = w.strip_suffix('s').unwrap_or(w);
        mine.iter().any(|m| m == w || m == stem)
    })
}

/// How well `e` suits a `kind` view asked for at word `at`; `None` when it does not at all
/// (the view then gets an entity of its own).
fn suitability(kind: PageKind, e: &EntitySpec, t: &Text, at: Option<usize>, first: bool) -> Option<u32> {
    let near = at.is_some_and(|at| named_near(e, t, at));
    let has = |role: &str| pick_field(e, role, None, t).is_some();
    let base = u32::from(first) + if near { 3 } else { 0 };
    match kind {
        PageKind::Board => {
            Some(base + if has("column_field") { 4 } else { 0 } + if entity_is(e, WORK_LIKE) { 2 } else { 0 })
        }
        PageKind::Calendar => Some(
            base + if has("date_field") { 4 } else { 0 }
                + if entity_is(e, EVENT_LIKE) { 2 } else { 0 }
                + if pick_field(e, "date_field", None, t).is_some_and(|d| pick_end(e, &d, t).is_some()) {
                    1
                } else {
                    0
                },
        ),
        PageKind::Chart => Some(
            base + if has("value_field") && has("date_field") { 4 } else { 0 }
                + if entity_is(e, MEASURE_LIKE) { 2 } else { 0 },
        ),
        PageKind::Study => {
            let pair = has("front_field") && has("back_field");
            (pair || entity_is(e, STUDY_LIKE)).then_some(base + if pair { 5 } else { 0 } + 2)
        }
        PageKind::Timer => {
            let session = entity_is(e, SESSION_LIKE);
            let logs = has("duration_field") && has("date_field") && (near || named_anywhere(e, t));
            (session || logs).then_some(base + if session { 5 } else { 0 } + if logs { 3 } else { 0 })
        }
        PageKind::Checklist => {
            let done = has("done_field");
            let item = entity_is(e, LIST_ITEM_LIKE);
            (done || item).then_some(base + if done { 4 } else { 0 } + if item { 2 } else { 0 })
        }
        _ => None,
    }
}

fn named_anywhere(e: &EntitySpec, t: &Text) -> bool {
    name_words(&e.name).iter().any(|w| w.len() >= 3 && t.has_word(w))
}

/// Whether `e` is named after a view word ("colonnes", "calendar"): a noun the analysis took
/// for records when the prompt meant the view.
fn named_like_a_view(e: &EntitySpec) -> bool {
    let name = fold(&e.name);
    CUES.iter().any(|c| {
        !c.phrase.contains(' ') && (token_matches(&name, c.phrase) || token_matches(&format!("{name}s"), c.phrase))
    })
}

/// The entity that suits a `kind` view best, by index.
fn best_entity(kind: PageKind, entities: &[EntitySpec], t: &Text, at: Option<usize>) -> Option<usize> {
    entities
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let s = suitability(kind, e, t, at, i == 0)?;
            Some(((!named_like_a_view(e), s), i))
        })
        .max_by_key(|(s, i)| (*s, std::cmp::Reverse(*i)))
        .map(|(_, i)| i)
}

/// An entity of its own for a view no entity suits: a timer's sessions, a quiz's questions,
/// a checklist's items.
fn new_entity(kind: PageKind, t: &Text, r: &Request, entities: &[EntitySpec]) -> Option<EntitySpec> {
    let field = |name: &str, label: &str, kind: FieldKind, required: bool| FieldSpec {
        name: name.into(),
        label: label.into(),
        kind,
        required,
        options: vec![],
        entity: None,
    };
    let text = |name: &str, label: &str| field(name, label, FieldKind::Text, true);
    let (name, label, plural, fields) = match kind {
        PageKind::Timer => {
            let log = vec![
                text("label", "Label"),
                field("date", "Date", FieldKind::Date, false),
                field("started_at", "Start time", FieldKind::Text, false),
                field("minutes", "Minutes", FieldKind::Number, false),
            ];
            // "focus sessions", "meditation sessions": the prompt's own name for them (in
            // English, where the kind of session comes before the word).
            let modifier = (1..t.words.len())
                .filter(|_| t.lang == Lang::En)
                .find(|&i| matches!(t.word(i), "session" | "sessions") && !t.negated(i))
                .map(|i| t.word(i - 1))
                .filter(|m| m.len() >= 3 && m.chars().all(|c| c.is_ascii_lowercase()) && !NOT_MODIFIERS.contains(m));
            match (r.hint, modifier) {
                (Hint::Stopwatch, _) => (
                    "time_entry".to_string(),
                    "Time entry".to_string(),
                    "Time entries".to_string(),
                    log,
                ),
                (_, Some(m)) => {
                    let cap = crate::words::capitalize(m);
                    (
                        format!("{m}_session"),
                        format!("{cap} session"),
                        format!("{cap} sessions"),
                        log,
                    )
                }
                (_, None) => ("session".into(), "Session".into(), "Sessions".into(), log),
            }
        }
        PageKind::Study if r.hint == Hint::Quiz => (
            "question".into(),
            "Question".into(),
            "Questions".into(),
            vec![text("question", "Question"), text("answer", "Answer")],
        ),
        PageKind::Study => (
            "card".into(),
            "Card".into(),
            "Cards".into(),
            vec![text("front", "Front"), text("back", "Back")],
        ),
        PageKind::Checklist => {
            // The cue and the word before it: "shopping list", "packing checklist".
            let context = format!("{} {}", t.word(r.at.saturating_sub(1)), r.cue);
            let has = |stems: &[&str]| stems.iter().any(|w| context.contains(w));
            let (n, l, p) = if has(&["shopping", "grocer", "einkauf", "course", "compra", "super"]) {
                ("shopping_item", "Shopping item", "Shopping list")
            } else if has(&["packing", "pack", "valise", "bagage", "equipaje"]) {
                ("packing_item", "Packing item", "Packing list")
            } else {
                ("checklist_item", "Item", "Items")
            };
            (
                n.into(),
                l.into(),
                p.into(),
                vec![text("name", "Item"), field("done", "Done", FieldKind::Boolean, false)],
            )
        }
        _ => return None,
    };
    let name = if entities.iter().any(|e| e.name == name) {
        (2..10)
            .map(|n| format!("{name}_{n}"))
            .find(|c| !entities.iter().any(|e| &e.name == c))?
    } else {
        name
    };
    Some(EntitySpec {
        name,
        label: clean_text(&label, 40),
        plural: clean_text(&plural, 40),
        fields,
    })
}

/// Words before "sessions" that do not say what kind of session it is.
#[rustfmt::skip]
const NOT_MODIFIERS: &[&str] = &[
    "the", "and", "all", "any", "for", "with", "from", "per", "each", "every", "its", "our", "your", "their", "his",
    "her", "this", "that", "these", "those", "many", "some", "few", "past", "last", "previous", "recent", "new",
    "old", "completed", "finished", "done", "timed", "logged", "saved", "tracked", "recorded", "daily", "weekly",
    "monthly", "short", "long", "log", "list", "track", "record", "save", "start", "stop", "end", "total", "into",
    "about", "after", "before", "between", "during", "over", "under", "than", "then", "when", "while",
];

// ---------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------

/// The navigation title of a view page of `kind`.
pub(crate) fn kind_title(kind: PageKind) -> &'static str {
    match kind {
        PageKind::Board => "Board",
        PageKind::Calendar => "Calendar",
        PageKind::Timer => "Timer",
        PageKind::Study => "Study",
        PageKind::Chart => "Chart",
        PageKind::Checklist => "Checklist",
        PageKind::Dashboard => "Dashboard",
        PageKind::List => "List",
        PageKind::Settings => "Settings",
        PageKind::About => "About",
    }
}

fn title_for(kind: PageKind, hint: Hint, view: &ViewSpec) -> &'static str {
    match (kind, hint) {
        (PageKind::Board, Hint::Pipeline) => "Pipeline",
        (PageKind::Study, _) if view.study == Some(StudyMode::Quiz) => "Quiz",
        (PageKind::Study, _) => "Practice",
        _ => kind_title(kind),
    }
}

fn unique_id(pages: &[PageSpec], want: &str) -> String {
    crate::cues::unique_page_id(pages, &to_kebab(want, "view"))
}

/// Where a new list page goes: after the last list page, else before settings and about.
fn list_slot(pages: &[PageSpec]) -> usize {
    pages
        .iter()
        .rposition(|p| p.kind == PageKind::List)
        .map(|i| i + 1)
        .or_else(|| {
            pages
                .iter()
                .position(|p| matches!(p.kind, PageKind::Settings | PageKind::About))
        })
        .unwrap_or(pages.len())
}

/// One phrase on what a view shows, for the notes.
fn describe(kind: PageKind, e: &EntitySpec, view: &ViewSpec) -> String {
    let l = |f: &Option<String>| {
        format!(
            "\u{201c}{}\u{201d}",
            f.as_deref().map(|n| label_of(e, n)).unwrap_or_default()
        )
    };
    let plural = e.plural.to_lowercase();
    match kind {
        PageKind::Board => {
            let cols = view
                .column_field
                .as_deref()
                .and_then(|c| e.fields.iter().find(|f| f.name == c))
                .map(|f| f.options.join(", "))
                .unwrap_or_default();
            format!("a board of {plural} in columns by {} ({cols})", l(&view.column_field))
        }
        PageKind::Calendar => match &view.end_field {
            Some(_) => format!(
                "a calendar of {plural} spanning {} to {}",
                l(&view.date_field),
                l(&view.end_field)
            ),
            None => format!("a calendar of {plural} by {}", l(&view.date_field)),
        },
        PageKind::Timer => match view.timer {
            Some(TimerMode::Stopwatch) => format!("a stopwatch that logs {plural}"),
            _ => format!("a {}-minute countdown that logs {plural}", view.minutes.unwrap_or(25)),
        },
        PageKind::Study => format!(
            "{} over {plural} ({} \u{2192} {})",
            if view.study == Some(StudyMode::Quiz) {
                "a quiz"
            } else {
                "flashcards"
            },
            l(&view.front_field),
            l(&view.back_field)
        ),
        PageKind::Chart => format!(
            "a {} chart of {} by {}",
            view.chart.unwrap_or(ChartStyle::Line),
            l(&view.value_field),
            l(&view.date_field)
        ),
        PageKind::Checklist => format!("a checklist of {plural} ticked by {}", l(&view.done_field)),
        _ => String::new(),
    }
}

/// Adds a `kind` view over `target` (or the entity that suits it best, or one of its own),
/// placed at `slot` (`None`: after its entity's list). `Ok`: a note on what was added and
/// `why`; `Err`: why there was no room for it.
fn add_view(
    r: &Request,
    target: Option<usize>,
    t: &Text,
    (entities, pages): (&mut Vec<EntitySpec>, &mut Vec<PageSpec>),
    slot: Option<usize>,
    why: &str,
) -> Result<String, String> {
    let kind = r.kind;
    // A view the person asked for is worth more than the About page.
    if pages.len() >= MAX_PAGES {
        if let Some(about) = pages.iter().position(|p| p.kind == PageKind::About) {
            pages.remove(about);
        }
    }
    let room = MAX_PAGES.saturating_sub(pages.len());
    if room == 0 {
        return Err(format!("the app already has {MAX_PAGES} pages"));
    }
    let (index, created) = match target.or_else(|| best_entity(kind, entities, t, Some(r.at))) {
        Some(i) => (i, None),
        None => match new_entity(kind, t, r, entities) {
            Some(e) if room >= 2 && entities.len() < MAX_ENTITIES => (entities.len(), Some(e)),
            _ => return Err("there is no room for the entity and list page it needs".into()),
        },
    };
    let mut entity = created.clone().unwrap_or_else(|| entities[index].clone());
    let mut view = ViewSpec::default();
    let Some(changes) = configure(kind, &mut entity, &mut view, t, r.hint, true) else {
        return Err(format!("{} have no room for the field it needs", entity.plural));
    };
    let mut sentence = format!("Added {} {why}", describe(kind, &entity, &view));
    if created.is_some() {
        sentence.push_str(&format!(
            "; it keeps them in a new entity, {} ({})",
            entity.plural,
            entity
                .fields
                .iter()
                .map(|f| f.label.to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else {
        sentence.push_str(&changes.gained(&entity));
    }
    if changes.columns_from_prompt.is_some() {
        sentence.push_str("; the columns are the ones the prompt names");
    }
    sentence.push('.');

    let title = title_for(kind, r.hint, &view);
    let name = entity.name.clone();
    if created.is_some() {
        let list = PageSpec {
            id: unique_id(pages, &entity.plural),
            title: clean_text(&entity.plural, 40),
            kind: PageKind::List,
            entity: Some(name.clone()),
            view: None,
        };
        let at = list_slot(pages);
        pages.insert(at, list);
        entities.push(entity);
    } else {
        entities[index] = entity;
    }
    let page = PageSpec {
        id: unique_id(pages, title),
        title: title.into(),
        kind,
        entity: Some(name.clone()),
        view: Some(view),
    };
    let at = slot.unwrap_or_else(|| {
        let list = pages
            .iter()
            .position(|p| p.kind == PageKind::List && p.entity.as_deref() == Some(name.as_str()))
            .map_or(pages.len(), |i| i + 1);
        list + pages[list..].iter().take_while(|p| p.kind.is_view()).count()
    });
    pages.insert(at.min(pages.len()), page);
    Ok(sentence)
}

/// Adds the views the prompt asks for that `pages` lacks, first in the navigation (after
/// any views already there), noting each and, when `skips`, each it had no room for.
fn add_requested(
    t: &Text,
    entities: &mut Vec<EntitySpec>,
    pages: &mut Vec<PageSpec>,
    skips: bool,
    note: &mut dyn FnMut(String),
) {
    let base = pages.iter().take_while(|p| p.kind.is_view()).count();
    // Where the prompt named each view placed so far: the navigation keeps that order.
    let mut placed: Vec<usize> = Vec::new();
    let mut wanted = requests(t);
    // Views over entities the app has first: when pages run short, a view that needs an
    // entity (and a list) of its own is the one left out.
    wanted.sort_by_key(|r| best_entity(r.kind, entities, t, Some(r.at)).is_none());
    for r in wanted {
        if pages.iter().any(|p| p.kind == r.kind) {
            continue;
        }
        let why = format!("because the prompt says \u{201c}{}\u{201d}", r.cue);
        let before = placed.iter().filter(|at| **at < r.at).count();
        match add_view(&r, None, t, (&mut *entities, &mut *pages), Some(base + before), &why) {
            Ok(sentence) => {
                note(sentence);
                placed.insert(before, r.at);
            }
            Err(reason) if skips => note(format!(
                "The prompt says \u{201c}{}\u{201d}, but there is no {} page: {reason}.",
                r.cue, r.kind
            )),
            Err(_) => {}
        }
    }
}

/// Views the fields suggest (for a prompt that names none): at most one per entity and
/// per kind, three in all, each after its entity's list.
fn add_suggested(t: &Text, entities: &mut Vec<EntitySpec>, pages: &mut Vec<PageSpec>, note: &mut dyn FnMut(String)) {
    let mut count = 0;
    for i in 0..entities.len() {
        if count >= 3 || pages.len() >= MAX_PAGES {
            break;
        }
        let e = &entities[i];
        let Some(kind) = KINDS
            .iter()
            .copied()
            .find(|&kind| !pages.iter().any(|p| p.kind == kind) && !declined(t, kind) && suggests(kind, e, t))
        else {
            continue;
        };
        let plural = e.plural.to_lowercase();
        let why = match kind {
            PageKind::Board => format!(
                "because {plural} move through a {}",
                pick_field(e, "column_field", None, t)
                    .map(|f| label_of(e, &f).to_lowercase())
                    .unwrap_or_default()
            ),
            PageKind::Calendar => format!("because {plural} happen on dates"),
            PageKind::Study => format!("because {plural} have a question and an answer"),
            PageKind::Checklist => format!("because {plural} are ticked off"),
            PageKind::Timer => format!("because {plural} have a length"),
            _ => format!("because {plural} are numbers over time"),
        };
        let r = Request {
            kind,
            cue: String::new(),
            at: 0,
            hint: Hint::Plain,
        };
        if let Ok(sentence) = add_view(&r, Some(i), t, (&mut *entities, &mut *pages), None, &why) {
            note(sentence);
            count += 1;
        }
    }
}

/// Whether the prompt turns a `kind` view down ("no calendar") or uses its word for
/// something else ("pub quiz", "board game"): then the fields do not suggest it either.
fn declined(t: &Text, kind: PageKind) -> bool {
    let other_meaning = NOT_VIEWS
        .iter()
        .filter(|(k, _)| *k == kind)
        .any(|(_, phrases)| phrases.iter().any(|ph| !t.find_all(ph).is_empty()));
    other_meaning
        || CUES
            .iter()
            .filter(|c| c.kind == kind)
            .any(|c| t.find_all(c.phrase).into_iter().any(|i| t.negated(i)))
}

/// Whether `e`'s fields suggest a `kind` view on their own.
fn suggests(kind: PageKind, e: &EntitySpec, t: &Text) -> bool {
    let named = |role: &str| e.fields.iter().any(|f| field_fit(f, role) >= 4);
    let any = |role: &str| pick_field(e, role, None, t).is_some();
    match kind {
        PageKind::Study => named("front_field") && named("back_field"),
        PageKind::Board => {
            entity_is(e, WORK_LIKE)
                && pick_field(e, "column_field", None, t)
                    .and_then(|c| e.fields.iter().find(|f| f.name == c))
                    .is_some_and(|f| (3..=8).contains(&f.options.len()))
        }
        PageKind::Checklist => entity_is(e, LIST_ITEM_LIKE) && named("done_field"),
        PageKind::Timer => entity_is(e, SESSION_LIKE) && named("duration_field"),
        PageKind::Calendar => entity_is(e, EVENT_LIKE) && any("date_field"),
        PageKind::Chart => entity_is(e, MEASURE_LIKE) && any("date_field") && any("value_field"),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// The hooks
// ---------------------------------------------------------------------------------------

/// Chooses the views of a draft spec from the prompt's words (first in the navigation) or,
/// when it names none, from the fields; returns one note per view saying why.
pub(crate) fn choose(prompt: &str, spec: &mut AppSpec) -> Vec<String> {
    let t = Text::new(prompt);
    let mut notes = Vec::new();
    add_requested(&t, &mut spec.entities, &mut spec.pages, true, &mut |n| notes.push(n));
    if requests(&t).is_empty() {
        add_suggested(&t, &mut spec.entities, &mut spec.pages, &mut |n| notes.push(n));
    }
    notes
}

/// Makes every view page of a spec valid against its entity and adds the views the prompt
/// asks for that it lacks; `fix` gets one note per change.
pub(crate) fn repair(
    prompt: &str,
    entities: &mut Vec<EntitySpec>,
    pages: &mut Vec<PageSpec>,
    fix: &mut dyn FnMut(String),
) {
    let t = Text::new(prompt);
    let mut kept: Vec<PageSpec> = Vec::new();
    for mut page in std::mem::take(pages) {
        if !page.kind.is_view() {
            if page.view.take().is_some() {
                fix(format!(
                    "Page {:?} is a {} page; dropped its view settings.",
                    page.id, page.kind
                ));
            }
            kept.push(page);
            continue;
        }
        let known = page
            .entity
            .as_ref()
            .and_then(|name| entities.iter().position(|e| &e.name == name));
        let index = match known {
            Some(i) => i,
            None => match best_entity(page.kind, entities, &t, None) {
                Some(i) => {
                    fix(format!(
                        "The {} page {:?} showed {}; it now shows {:?}.",
                        page.kind,
                        page.id,
                        page.entity
                            .as_deref()
                            .map_or("no entity".to_string(), |e| format!("{e:?}, which is not an entity")),
                        entities[i].name
                    ));
                    page.entity = Some(entities[i].name.clone());
                    i
                }
                None => {
                    fix(format!(
                        "Dropped the {} page {:?}: no entity suits it.",
                        page.kind, page.id
                    ));
                    continue;
                }
            },
        };
        let mut view = page.view.take().unwrap_or_default();
        for note in prune(&page, &entities[index], &mut view) {
            fix(note);
        }
        let before = view.clone();
        let mut entity = entities[index].clone();
        match configure(page.kind, &mut entity, &mut view, &t, Hint::Plain, false) {
            Some(changes) => {
                if view != before {
                    let mut sentence = format!(
                        "The {} page {:?} now reads {}",
                        page.kind,
                        page.id,
                        view.set_settings()
                            .iter()
                            .filter_map(|s| view.field(s).map(|f| format!("{s} = {f:?}")))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    sentence.push_str(&changes.gained(&entity));
                    sentence.push('.');
                    fix(sentence);
                }
                entities[index] = entity;
                page.view = Some(view);
                kept.push(page);
            }
            None => fix(format!(
                "Dropped the {} page {:?}: {} has no room for the field it needs.",
                page.kind, page.id, entities[index].plural
            )),
        }
    }
    *pages = kept;
    // What analyze could not fit it noted already; a spec from elsewhere just lacks it.
    add_requested(&t, entities, pages, false, fix);
}

/// Whether `noun` (a prompt noun, singular) is a word for a view the spec has ("column"
/// and a board, "calendar" and a calendar).
pub(crate) fn covers(spec: &AppSpec, noun: &str) -> bool {
    let noun = fold(noun);
    let plural = format!("{noun}s");
    CUES.iter().any(|c| {
        !c.phrase.contains(' ')
            && (token_matches(&noun, c.phrase) || token_matches(&plural, c.phrase))
            && spec.pages.iter().any(|p| p.kind == c.kind)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(prompt: &str) -> Vec<PageKind> {
        requests(&Text::new(prompt)).into_iter().map(|r| r.kind).collect()
    }

    #[test]
    fn words_ask_for_views_in_four_languages() {
        assert_eq!(kinds("a kanban board for my side projects"), [PageKind::Board]);
        assert_eq!(kinds("Ein Urlaubskalender für unser Team"), [PageKind::Calendar]);
        assert_eq!(kinds("un minuteur pomodoro"), [PageKind::Timer]);
        assert_eq!(kinds("tarjetas de estudio para vocabulario"), [PageKind::Study]);
        assert_eq!(kinds("ma liste de courses"), [PageKind::Checklist]);
        assert_eq!(kinds("track my weight over time"), [PageKind::Chart]);
        assert_eq!(
            kinds("a calendar and a kanban board"),
            [PageKind::Calendar, PageKind::Board],
            "in the order the prompt names them"
        );
    }

    #[test]
    fn words_that_mean_something_else_do_not() {
        for prompt in [
            "a board game collection",
            "a seating chart for my wedding",
            "a dashboard for my plants",
            "no kanban, just a list of tasks",
            "un tableau de bord pour mes dépenses",
            "a spreadsheet with columns for date and price",
            "an agenda for my meetings",
        ] {
            assert_eq!(kinds(prompt), [], "{prompt}");
        }
        assert_eq!(kinds("un planning pour mon équipe"), [PageKind::Calendar]);
        assert_eq!(kinds("trip planning with friends"), []);
    }

    #[test]
    fn hints_pick_the_mode() {
        let r = requests(&Text::new("a stopwatch to track my time"));
        assert_eq!(r[0].hint, Hint::Stopwatch);
        let r = requests(&Text::new("a quiz game about world capitals"));
        assert_eq!(r[0].hint, Hint::Quiz);
        let r = requests(&Text::new("my spending as a bar chart"));
        assert_eq!(r[0].hint, Hint::Bar);
        let r = requests(&Text::new("a simple CRM with a sales pipeline"));
        assert_eq!((r[0].kind, r[0].hint), (PageKind::Board, Hint::Pipeline));
    }

    #[test]
    fn columns_are_read_from_the_prompt() {
        let cols = |p: &str| named_columns(&Text::new(p));
        for (prompt, want) in [
            (
                "a kanban board for my side projects with columns todo, doing and done",
                &["Todo", "Doing", "Done"][..],
            ),
            (
                "Kanban mit den Spalten: Offen, In Arbeit, Erledigt.",
                &["Offen", "In Arbeit", "Erledigt"],
            ),
            (
                "un kanban avec les colonnes (à faire / en cours / terminé) pour l'équipe",
                &["À faire", "En cours", "Terminé"],
            ),
            (
                "tablero con columnas pendiente, en progreso y hecho para mi equipo",
                &["Pendiente", "En progreso", "Hecho"],
            ),
            (
                "columns backlog, doing and done for my side projects, with tags",
                &["Backlog", "Doing", "Done"],
            ),
        ] {
            assert_eq!(cols(prompt).unwrap_or_default(), want, "{prompt}");
        }
        assert_eq!(cols("a board with three columns"), None);
        assert_eq!(cols("a board with columns for each status"), None);
    }

    fn model_spec(pages: Vec<PageSpec>) -> AppSpec {
        let mut spec = crate::analyze("a to-do app for my tasks and projects").spec;
        spec.pages.retain(|p| !p.kind.is_view());
        spec.pages.splice(0..0, pages);
        spec
    }

    fn page(kind: PageKind, entity: &str, view: Option<ViewSpec>) -> PageSpec {
        PageSpec {
            id: kind.as_str().into(),
            title: kind_title(kind).into(),
            kind,
            entity: Some(entity.into()),
            view,
        }
    }

    #[test]
    fn repair_fills_and_fixes_a_model_s_view_settings() {
        let spec = model_spec(vec![
            page(PageKind::Board, "task", None),
            page(
                PageKind::Calendar,
                "ghost",
                Some(ViewSpec {
                    date_field: Some("title".into()),
                    done_field: Some("done".into()),
                    ..ViewSpec::default()
                }),
            ),
            page(
                PageKind::Timer,
                "project",
                Some(ViewSpec {
                    minutes: Some(9000),
                    ..ViewSpec::default()
                }),
            ),
        ]);
        assert!(!spec.validate().is_empty());
        let r = crate::reflect("a to-do app for my tasks and projects", spec);
        assert_eq!(r.spec.validate(), Vec::<String>::new(), "{:#?}", r.reflection);
        let board = r.spec.pages.iter().find(|p| p.kind == PageKind::Board).unwrap();
        assert_eq!(board.view.as_ref().unwrap().column_field.as_deref(), Some("status"));
        let cal = r.spec.pages.iter().find(|p| p.kind == PageKind::Calendar).unwrap();
        assert_eq!(cal.entity.as_deref(), Some("task"), "{:#?}", r.reflection);
        let cv = cal.view.as_ref().unwrap();
        assert_eq!(
            (cv.date_field.as_deref(), cv.done_field.as_deref()),
            (Some("due_date"), None)
        );
        let timer = r.spec.pages.iter().find(|p| p.kind == PageKind::Timer).unwrap();
        let tv = timer.view.as_ref().unwrap();
        assert_eq!(tv.minutes, Some(600));
        let project = r.spec.entity("project").unwrap();
        for f in [&tv.label_field, &tv.duration_field, &tv.date_field] {
            let name = f.as_deref().unwrap();
            assert!(project.fields.iter().any(|x| x.name == name), "{name}");
        }
        for want in [
            "now shows \"task\"",
            "does not use `done_field`",
            "`date_field` \"title\" is not a date field",
            "now counts 600",
            "gained minutes",
        ] {
            assert!(
                r.reflection.iter().any(|n| n.contains(want)),
                "{want}: {:#?}",
                r.reflection
            );
        }
    }

    #[test]
    fn repair_adds_what_the_prompt_asks_for_and_drops_what_cannot_be_shown() {
        let spec = model_spec(vec![page(PageKind::Study, "ghost", None)]);
        let r = crate::reflect("a kanban board for my tasks", spec);
        assert_eq!(r.spec.validate(), Vec::<String>::new(), "{:#?}", r.reflection);
        assert!(
            !r.spec.pages.iter().any(|p| p.kind == PageKind::Study),
            "no entity has cards"
        );
        let board = &r.spec.pages[0];
        assert_eq!((board.kind, board.entity.as_deref()), (PageKind::Board, Some("task")));
        assert!(
            r.reflection
                .iter()
                .any(|n| n.contains("because the prompt says \u{201c}kanban")),
            "{:#?}",
            r.reflection
        );
        assert!(r.confidence < 0.9);
        // Every entity keeps its list page.
        for e in &r.spec.entities {
            assert!(r
                .spec
                .pages
                .iter()
                .any(|p| p.kind == PageKind::List && p.entity.as_deref() == Some(e.name.as_str())));
        }
    }

    #[test]
    fn views_never_push_an_app_past_its_limits() {
        let prompt = "a kanban board, a calendar, a pomodoro timer, flashcards, a chart and a shopping checklist \
                      for my tasks, projects, notes, contacts and bookmarks";
        let a = crate::analyze(prompt);
        assert_eq!(a.spec.validate(), Vec::<String>::new(), "{:#?}", a.reflection);
        assert!(a.spec.pages.len() <= 12);
        let views = a.spec.pages.iter().filter(|p| p.kind.is_view()).count();
        assert!(views >= 4, "{:#?}", a.spec.pages);
        assert!(
            a.reflection.iter().filter(|n| n.contains("but there is no")).count() == 6 - views,
            "{:#?}",
            a.reflection
        );
    }

    #[test]
    fn minutes_are_read_from_the_prompt() {
        let m = |p: &str| named_minutes(&Text::new(p));
        assert_eq!(m("a 50-minute focus timer"), Some(50));
        assert_eq!(m("ein Timer mit 15 Minuten"), Some(15));
        assert_eq!(m("a 1 hour countdown"), Some(60));
        assert_eq!(m("a timer for my 3 kids"), None);
    }
}
