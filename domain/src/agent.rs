//! Agents: what they can do ([`Capability`]), what they are called ([`AgentName`]) and how
//! one is registered ([`RegisterAgentRequest`] parsed into an [`AgentSpec`]).

use serde::{Deserialize, Serialize};

use crate::{status::AgentKind, string_enum};

string_enum! {
    /// Something an agent can do; a task lists the capabilities it requires and only an
    /// agent holding all of them may run it. These are the seed API's words.
    pub enum Capability {
        /// Writes source code.
        CodeGeneration => "code_generation",
        /// Produces images (SVG logos and icons here).
        ImageGeneration => "image_generation",
        /// Produces video.
        VideoGeneration => "video_generation",
        /// Writes prose and plans.
        TextGeneration => "text_generation",
        /// Analyses requirements and data.
        DataAnalysis => "data_analysis",
        /// Talks to external APIs.
        ApiIntegration => "api_integration",
        /// Designs themes and layouts.
        UiDesign => "ui_design",
        /// Checks output.
        Testing => "testing",
        /// Ships things.
        Deployment => "deployment",
        /// Improves existing output.
        Optimization => "optimization",
    }
}

/// A validated agent name: 1 to 64 characters of ASCII letters, digits, `-`, `_` and `.`,
/// starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
pub struct AgentName(String);

impl AgentName {
    /// Parses a name, saying what is wrong with it.
    ///
    /// # Errors
    /// A message for a person when the name is empty, too long or has other characters.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("agent name must not be empty".into());
        }
        if s.len() > 64 {
            return Err(format!("agent name is {} characters; at most 64 are allowed", s.len()));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err("agent name must start with a letter or a digit".into());
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(format!(
                "agent name may only hold letters, digits, '-', '_' and '.', not {bad:?}"
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AgentName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AgentName> for String {
    fn from(n: AgentName) -> Self {
        n.0
    }
}

impl std::fmt::Display for AgentName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The body of `POST /api/orchestrator/agents/register`, in the seed's shape. Everything is
/// loosely typed here on purpose so that [`RegisterAgentRequest::validate`] can name every
/// problem at once instead of failing on the first JSON type error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RegisterAgentRequest {
    /// The agent's unique name.
    #[serde(default)]
    pub agent_id: String,
    /// One of [`AgentKind`]'s words; `custom` when empty.
    #[serde(default)]
    pub agent_type: String,
    /// Capability words.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Free-form settings; `max_concurrency`, `provider` and `model` are understood.
    #[serde(default)]
    pub configuration: serde_json::Map<String, serde_json::Value>,
}

/// A registration that passed validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AgentSpec {
    /// Unique name.
    pub name: AgentName,
    /// What it is for.
    pub kind: AgentKind,
    /// What it can do; never empty, no duplicates, in canonical order.
    pub capabilities: Vec<Capability>,
    /// Tasks it may run at once.
    pub max_concurrency: i32,
    /// LLM provider name (`offline`, `gemini`, `openai`), if not the server's default.
    pub provider: Option<String>,
    /// Model name for that provider.
    pub model: Option<String>,
    /// The whole configuration object as given.
    pub configuration: serde_json::Value,
}

/// Highest `max_concurrency` accepted for one agent.
pub const MAX_AGENT_CONCURRENCY: i32 = 1000;
/// `max_concurrency` when the configuration does not say.
pub const DEFAULT_AGENT_CONCURRENCY: i32 = 4;

/// Why a registration was refused: every problem found, each with the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[error("{}", .problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors {
    /// One entry per problem.
    pub problems: Vec<FieldProblem>,
}

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FieldProblem {
    /// The field's name in the request.
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl RegisterAgentRequest {
    /// Checks every field and returns a spec, or all the problems at once. Unknown
    /// capabilities are refused (with the valid list), never dropped.
    ///
    /// # Errors
    /// [`ValidationErrors`] naming each bad field.
    pub fn validate(&self) -> Result<AgentSpec, ValidationErrors> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(FieldProblem {
                field: field.into(),
                message,
            })
        };

        let name = AgentName::parse(&self.agent_id)
            .map_err(|m| problem("agent_id", m))
            .ok();

        let kind = if self.agent_type.trim().is_empty() {
            Some(AgentKind::Custom)
        } else {
            self.agent_type
                .trim()
                .parse::<AgentKind>()
                .map_err(|e| problem("agent_type", e.to_string()))
                .ok()
        };

        let mut capabilities = Vec::new();
        let mut unknown = Vec::new();
        for word in &self.capabilities {
            match word.trim().parse::<Capability>() {
                Ok(c) if !capabilities.contains(&c) => capabilities.push(c),
                Ok(_) => {}
                Err(_) => unknown.push(word.clone()),
            }
        }
        if !unknown.is_empty() {
            problem(
                "capabilities",
                format!(
                    "unknown capabilit{} {}; valid capabilities: {}",
                    if unknown.len() == 1 { "y" } else { "ies" },
                    unknown.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", "),
                    Capability::valid_words()
                ),
            );
        } else if capabilities.is_empty() {
            problem(
                "capabilities",
                format!(
                    "at least one capability is required; valid capabilities: {}",
                    Capability::valid_words()
                ),
            );
        }
        capabilities.sort();

        let max_concurrency = match self.configuration.get("max_concurrency") {
            None | Some(serde_json::Value::Null) => Some(DEFAULT_AGENT_CONCURRENCY),
            Some(v) => match v.as_i64() {
                Some(n) if (1..=i64::from(MAX_AGENT_CONCURRENCY)).contains(&n) => Some(n as i32),
                _ => {
                    problem(
                        "configuration.max_concurrency",
                        format!("must be a whole number from 1 to {MAX_AGENT_CONCURRENCY}, not {v}"),
                    );
                    None
                }
            },
        };

        let text = |key: &str, problem: &mut dyn FnMut(&str, String)| -> Option<String> {
            match self.configuration.get(key) {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() && s.len() <= 200 => {
                    Some(s.trim().to_owned())
                }
                Some(v) => {
                    problem(
                        &format!("configuration.{key}"),
                        format!("must be a non-empty string of at most 200 characters, not {v}"),
                    );
                    None
                }
            }
        };
        let provider = text("provider", &mut problem);
        let model = text("model", &mut problem);

        if !problems.is_empty() {
            return Err(ValidationErrors { problems });
        }
        Ok(AgentSpec {
            name: name.expect("checked above"),
            kind: kind.expect("checked above"),
            capabilities,
            max_concurrency: max_concurrency.expect("checked above"),
            provider,
            model,
            configuration: serde_json::Value::Object(self.configuration.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(caps: &[&str]) -> RegisterAgentRequest {
        RegisterAgentRequest {
            agent_id: "Test-Agent".into(),
            agent_type: "coder".into(),
            capabilities: caps.iter().map(|s| s.to_string()).collect(),
            configuration: Default::default(),
        }
    }

    #[test]
    fn an_unknown_capability_is_refused_with_the_valid_list() {
        let err = request(&["code_generation", "mind_reading"]).validate().unwrap_err();
        assert_eq!(err.problems.len(), 1);
        assert_eq!(err.problems[0].field, "capabilities");
        assert!(err.problems[0].message.contains("`mind_reading`"));
        assert!(err.problems[0].message.contains("ui_design"));
    }

    #[test]
    fn capabilities_are_deduplicated_and_sorted() {
        let spec = request(&["testing", "code_generation", "testing"]).validate().unwrap();
        assert_eq!(spec.capabilities, vec![Capability::CodeGeneration, Capability::Testing]);
        assert_eq!(spec.max_concurrency, DEFAULT_AGENT_CONCURRENCY);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut r = request(&[]);
        r.agent_id = " ".into();
        r.agent_type = "wizard".into();
        r.configuration.insert("max_concurrency".into(), serde_json::json!(0));
        let err = r.validate().unwrap_err();
        let fields: Vec<_> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "agent_id",
                "agent_type",
                "capabilities",
                "configuration.max_concurrency"
            ]
        );
    }

    #[test]
    fn names_with_spaces_or_too_long_are_refused() {
        assert!(AgentName::parse("has space").is_err());
        assert!(AgentName::parse(&"a".repeat(65)).is_err());
        assert!(AgentName::parse("-lead").is_err());
        assert_eq!(AgentName::parse(" Jules-CodeGen ").unwrap().as_str(), "Jules-CodeGen");
    }
}
