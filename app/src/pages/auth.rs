//! The pages a signed-out visitor sees: `/sign-in`, `/setup` (the first admin, on a fresh
//! install only) and `/sign-up` (with an invitation code, or open sign-up). Each posts JSON
//! to its server function and, once signed in, loads the dashboard afresh so every page is
//! rendered for the new person.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{sign_in_info, Setup, SignIn, SignUp},
    error::AppError,
    forms::held,
};

/// Loads `to` as a new page (so the server renders it for the signed-in person).
pub(crate) fn go(to: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().assign(to);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = to;
}

/// Where to go after signing in: a local path from `?next=`, else the overview.
fn next_page() -> String {
    let next = use_query_map().with_untracked(|q| q.get("next")).unwrap_or_default();
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/".into()
    }
}

/// A labelled input whose text is kept in `value`.
///
/// Uncontrolled on purpose: the page never writes to these fields, so there is no
/// `prop:value` for hydration to set again. What a person (or a password manager) typed
/// before the page was live reaches `value` through the form's `held` directive, which
/// sends the field an `input` event once the handler below is attached.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=kind
                required=true
                autocomplete=autocomplete
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}

/// The error of a failed attempt, announced.
#[component]
fn Refusal(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! { <p class="form-error" role="alert" id="auth-error">{e.to_string()}</p> }
        })
    }
}

/// The card every sign-in page sits in.
#[component]
fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <section class="panel auth-card" aria-labelledby="auth-heading">
            <h1 id="auth-heading">{title}</h1>
            {children()}
        </section>
    }
}

/// `/sign-in`.
#[component]
pub(crate) fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let ready = RwSignal::new(false);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let info = Resource::new(|| (), |_| sign_in_info());
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            go(&next_page());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(SignIn {
            username: username.get_untracked(),
            password: password.get_untracked(),
        });
    };
    view! {
        <AuthCard title="Sign in">
            <form class="stack" id="sign-in-form" use:held=ready on:submit=submit>
                <Field id="username" label="Username" value=username autocomplete="username"/>
                <Field id="password" label="Password" value=password kind="password" autocomplete="current-password"/>
                <Refusal error/>
                <button class="btn primary" type="submit" disabled=move || !ready.get() || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <Suspense>
                {move || Suspend::new(async move {
                    info.await.ok().map(|i| {
                        view! {
                            <p class="muted small">
                                {if i.open_signup {
                                    view! { "New here? " <a href="/sign-up">"Make an account"</a> }.into_any()
                                } else {
                                    "New here? Ask an admin for an invitation link.".into_any()
                                }}
                            </p>
                        }
                    })
                })}
            </Suspense>
        </AuthCard>
    }
}

/// A new password twice; the second must match.
fn password_problem(password: &str, again: &str) -> Option<String> {
    if password != again {
        return Some("the two passwords differ".into());
    }
    domain::auth::check_password(password).err()
}

/// `/setup`: the first account, an admin.
#[component]
pub(crate) fn SetupPage() -> impl IntoView {
    let action = ServerAction::<Setup>::new();
    let ready = RwSignal::new(false);
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let local = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || local.get().or_else(|| action.value().get().and_then(Result::err)));
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            go("/");
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(p) = password_problem(&password.get_untracked(), &again.get_untracked()) {
            local.set(Some(AppError::BadRequest(p)));
            return;
        }
        local.set(None);
        action.dispatch(Setup {
            username: username.get_untracked(),
            password: password.get_untracked(),
        });
    };
    view! {
        <AuthCard title="Set up Nexus Forge">
            <p>"Nobody can sign in yet. Make the first account: it is an admin, who can invite everyone else."</p>
            <form class="stack" id="setup-form" use:held=ready on:submit=submit>
                <Field id="username" label="Username" value=username autocomplete="username"/>
                <Field id="password" label="Password (10 characters or more)" value=password kind="password" autocomplete="new-password"/>
                <Field id="password-again" label="Password again" value=again kind="password" autocomplete="new-password"/>
                <Refusal error/>
                <button class="btn primary" type="submit" disabled=move || !ready.get() || action.pending().get()>"Create the admin account"</button>
            </form>
        </AuthCard>
    }
}

/// `/sign-up?code=…`: an account from an invitation (or open sign-up).
#[component]
pub(crate) fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let ready = RwSignal::new(false);
    let code = use_query_map()
        .with_untracked(|q| q.get("code"))
        .filter(|c| !c.trim().is_empty());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let local = RwSignal::new(None::<AppError>);
    let error = Signal::derive(move || local.get().or_else(|| action.value().get().and_then(Result::err)));
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            go("/");
        }
    });
    let invited = code.is_some();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(p) = password_problem(&password.get_untracked(), &again.get_untracked()) {
            local.set(Some(AppError::BadRequest(p)));
            return;
        }
        local.set(None);
        action.dispatch(SignUp {
            code: code.clone(),
            username: username.get_untracked(),
            password: password.get_untracked(),
        });
    };
    view! {
        <AuthCard title="Make an account">
            <p>{if invited { "You were invited. Choose a username and a password." } else { "Choose a username and a password." }}</p>
            <form class="stack" id="sign-up-form" use:held=ready on:submit=submit>
                <Field id="username" label="Username" value=username autocomplete="username"/>
                <Field id="password" label="Password (10 characters or more)" value=password kind="password" autocomplete="new-password"/>
                <Field id="password-again" label="Password again" value=again kind="password" autocomplete="new-password"/>
                <Refusal error/>
                <button class="btn primary" type="submit" disabled=move || !ready.get() || action.pending().get()>"Make the account"</button>
            </form>
            <p class="muted small">"Have an account? " <a href="/sign-in">"Sign in"</a></p>
        </AuthCard>
    }
}
