//! `/agents`: the registry with live status and load, and a form to register an agent with
//! its validation messages shown next to the fields.

use domain::agent::{Capability, RegisterAgentRequest};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{list_agents, provider_health, RegisterAgent, Registration},
    components::{Empty, ErrorNote, Loading, StatusBadge, Time},
    forms::held,
    live::use_live_version,
};

/// `/agents`.
#[component]
pub(crate) fn Agents() -> impl IntoView {
    let register = ServerAction::<RegisterAgent>::new();
    let version = use_live_version(|e| e.kind.area() == "agent");
    let agents = Resource::new(move || (version.get(), register.version().get()), |_| list_agents());
    view! {
        <Title text="Agents"/>
        <h1>"Agents"</h1>
        <section class="panel" aria-labelledby="registry-heading">
            <h2 id="registry-heading">"Registry"</h2>
            <Transition fallback=|| view! { <Loading what="agents"/> }>
                {move || Suspend::new(async move {
                    match agents.await {
                        Ok(list) if list.is_empty() => view! { <Empty>"No agents are registered."</Empty> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="table" id="agent-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Agent"</th>
                                            <th scope="col">"Kind"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Load"</th>
                                            <th scope="col">"Capabilities"</th>
                                            <th scope="col">"Last heartbeat"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list.iter().map(|a| view! {
                                            <tr data-agent=a.name.clone()>
                                                <th scope="row">{a.name.clone()} {a.builtin.then(|| view! { <span class="muted small">" built-in"</span> })}</th>
                                                <td>{a.kind.as_str()}</td>
                                                <td><StatusBadge status=a.status.as_str()/></td>
                                                <td>
                                                    <meter min="0" max=a.max_concurrency value=a.current_load aria-label=format!("{} load", a.name)></meter>
                                                    {format!(" {} / {}", a.current_load, a.max_concurrency)}
                                                </td>
                                                <td class="chips-cell">{a.capabilities.iter().map(|c| view! { <span class="chip">{c.as_str()}</span> }).collect_view()}</td>
                                                <td>{a.last_heartbeat_at.map(|t| view! { <Time at=t/> }.into_any()).unwrap_or_else(|| "never".into_any())}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <Providers/>
        <RegisterForm register/>
    }
}

/// The LLM providers the agents use: reachable, model, context (checked on load).
#[component]
fn Providers() -> impl IntoView {
    let health = Resource::new(|| (), |_| provider_health());
    view! {
        <section class="panel" aria-labelledby="providers-heading">
            <h2 id="providers-heading">"Model providers"</h2>
            <Transition fallback=|| view! { <Loading what="providers"/> }>
                {move || Suspend::new(async move {
                    match health.await {
                        Ok(view) => view! {
                            <div class="table-wrap">
                                <table class="table" id="provider-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Provider"</th>
                                            <th scope="col">"Reachable"</th>
                                            <th scope="col">"Model"</th>
                                            <th scope="col">"Context (tokens)"</th>
                                            <th scope="col">"Problem"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {view.providers.into_iter().map(|p| {
                                            let context = match p.reported_context {
                                                Some(r) => format!("{} (server {r}, configured {})", p.context_tokens, p.configured_context),
                                                None => format!("{} (configured)", p.context_tokens),
                                            };
                                            view! {
                                                <tr data-provider=p.name.clone()>
                                                    <th scope="row">{p.name.clone()} {p.default.then(|| view! { <span class="muted small">" default"</span> })}</th>
                                                    <td>{if p.reachable { "yes" } else { "no" }}</td>
                                                    <td>{p.model.clone()}</td>
                                                    <td>{context}</td>
                                                    <td class="muted">{p.problem.unwrap_or_default()}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RegisterForm(register: ServerAction<RegisterAgent>) -> impl IntoView {
    let ready = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("custom".to_owned());
    let caps = RwSignal::new(Vec::<String>::new());
    let concurrency = RwSignal::new("4".to_owned());
    let model = RwSignal::new(String::new());
    let result = register.value();
    let problem_for = move |field: &'static str| {
        move || match result.get() {
            Some(Ok(Registration::Rejected { problems, .. })) => {
                problems.iter().find(|p| p.field == field).map(|p| p.message.clone())
            }
            _ => None,
        }
    };
    // A refusal that no field shows (or any failure to talk to the server).
    let general = move || match result.get() {
        Some(Ok(Registration::Rejected { message, problems })) => {
            let shown = ["agent_id", "capabilities", "configuration.max_concurrency"];
            (!problems.iter().all(|p| shown.contains(&p.field.as_str()))).then_some(message)
        }
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut configuration = serde_json::Map::new();
        let c = concurrency.get_untracked();
        configuration.insert(
            "max_concurrency".into(),
            c.trim()
                .parse::<i64>()
                .map(serde_json::Value::from)
                .unwrap_or_else(|_| serde_json::Value::String(c)),
        );
        if !model.get_untracked().trim().is_empty() {
            configuration.insert("model".into(), model.get_untracked().trim().into());
        }
        register.dispatch(RegisterAgent {
            request: RegisterAgentRequest {
                agent_id: name.get_untracked(),
                agent_type: kind.get_untracked(),
                capabilities: caps.get_untracked(),
                configuration,
            },
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(Registration::Registered(_))) = result.get() {
            name.set(String::new());
            caps.set(Vec::new());
        }
    });
    view! {
        <form class="panel register-form" id="register-agent" use:held=ready on:submit=submit novalidate>
            <h2>"Register an agent"</h2>
            <div class="field">
                <label for="agent-name">"Name"</label>
                <input id="agent-name" name="agent_id" autocomplete="off" aria-describedby="agent-name-error"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <p id="agent-name-error" class="field-error" hidden=move || problem_for("agent_id")().is_none()>{problem_for("agent_id")}</p>
            </div>
            <div class="field">
                <label for="agent-kind">"Kind"</label>
                <select id="agent-kind" name="agent_type" on:change=move |ev| kind.set(event_target_value(&ev))>
                    {["custom", "coder", "designer", "asset_generator", "tester", "orchestrator"].into_iter().map(|k| view! {
                        <option value=k selected=k == "custom">{k.replace('_', " ")}</option>
                    }).collect_view()}
                </select>
            </div>
            <fieldset class="field" aria-describedby="agent-caps-error">
                <legend>"Capabilities"</legend>
                <div class="checks">
                    {Capability::ALL.iter().map(|c| {
                        let word = c.as_str();
                        view! {
                            <label class="check">
                                <input type="checkbox" name="capabilities" value=word
                                    prop:checked=move || caps.with(|v| v.iter().any(|x| x == word))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        caps.update(|v| {
                                            v.retain(|x| x != word);
                                            if on { v.push(word.to_owned()); }
                                        });
                                    }/>
                                {word.replace('_', " ")}
                            </label>
                        }
                    }).collect_view()}
                </div>
                <p id="agent-caps-error" class="field-error" hidden=move || problem_for("capabilities")().is_none()>{problem_for("capabilities")}</p>
            </fieldset>
            <div class="form-row">
                <div class="field">
                    <label for="agent-concurrency">"Max concurrent tasks"</label>
                    <input id="agent-concurrency" inputmode="numeric" aria-describedby="agent-concurrency-error"
                        prop:value=move || concurrency.get() on:input=move |ev| concurrency.set(event_target_value(&ev))/>
                    <p id="agent-concurrency-error" class="field-error" hidden=move || problem_for("configuration.max_concurrency")().is_none()>
                        {problem_for("configuration.max_concurrency")}
                    </p>
                </div>
                <div class="field">
                    <label for="agent-model">"Model (optional)"</label>
                    <input id="agent-model" prop:value=move || model.get() on:input=move |ev| model.set(event_target_value(&ev))/>
                </div>
            </div>
            <button class="btn" type="submit" id="register-submit" disabled=move || !ready.get() || register.pending().get()>
                {move || if register.pending().get() { "Registering…" } else { "Register" }}
            </button>
            <p class="field-error" role="alert" id="register-error" hidden=move || general().is_none()>{general}</p>
            <p class="ok-note" role="status" id="register-ok" hidden=move || !matches!(result.get(), Some(Ok(Registration::Registered(_))))>
                {move || match result.get() { Some(Ok(Registration::Registered(a))) => format!("Registered {}.", a.name), _ => String::new() }}
            </p>
        </form>
    }
}
