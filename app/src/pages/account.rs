//! `/account`: the signed-in person's password and API tokens (made, named, listed,
//! revoked; a new token's secret is shown once).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{list_tokens, ChangePassword, CreateToken, RevokeToken},
    components::{Empty, ErrorNote, Loading, Time},
    error::AppError,
    forms::held,
    session::use_person,
};

/// `/account`.
#[component]
pub(crate) fn Account() -> impl IntoView {
    let person = use_person();
    view! {
        <Title text="Account"/>
        <h1>"Account"</h1>
        <section class="panel" aria-labelledby="who-heading">
            <h2 id="who-heading">"You"</h2>
            <p id="account-who">
                {move || person.get().map(|p| format!("Signed in as {}{}.", p.username, if p.is_admin { " (an admin)" } else { "" }))}
            </p>
        </section>
        <PasswordForm/>
        <Tokens/>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let ready = RwSignal::new(false);
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let local = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (n, a) = (new.get_untracked(), again.get_untracked());
        if n != a {
            local.set(Some("the two new passwords differ".into()));
            return;
        }
        local.set(None);
        action.dispatch(ChangePassword {
            current: current.get_untracked(),
            new: n,
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            current.set(String::new());
            new.set(String::new());
            again.set(String::new());
        }
    });
    let outcome = move || {
        match (local.get(), action.value().get()) {
        (Some(m), _) => Some(view! { <p class="form-error" role="alert">{m}</p> }.into_any()),
        (None, Some(Err(e))) => Some(view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any()),
        (None, Some(Ok(()))) => Some(
            view! { <p class="form-ok" role="status" id="password-changed">"Password changed; your other sessions are signed out."</p> }
                .into_any(),
        ),
        _ => None,
    }
    };
    let field = move |id: &'static str, label: &'static str, value: RwSignal<String>, auto: &'static str| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="password" required=true autocomplete=auto prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            </div>
        }
    };
    view! {
        <section class="panel" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <form class="stack narrow" id="password-form" use:held=ready on:submit=submit>
                {field("current-password", "Current password", current, "current-password")}
                {field("new-password", "New password (10 characters or more)", new, "new-password")}
                {field("new-password-again", "New password again", again, "new-password")}
                {outcome}
                <button class="btn primary" type="submit" disabled=move || !ready.get() || action.pending().get()>"Change password"</button>
            </form>
        </section>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    // Set once the token form is live, which is when the page is: the revoke buttons wait too.
    let ready = RwSignal::new(false);
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let name = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateToken {
            name: name.get_untracked(),
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
        }
    });
    let fresh = move || {
        match create.value().get() {
        Some(Ok(t)) => Some(
            view! {
                <div class="callout" role="status">
                    <p>"Your new token "<strong>{t.token.name.clone()}</strong>" (copy it now: it is not shown again):"</p>
                    <code class="secret" id="new-token">{t.secret.clone()}</code>
                    <p class="muted small">"Send it as " <code>"Authorization: Bearer <token>"</code> " to the REST API, the server functions and /ws."</p>
                </div>
            }
            .into_any(),
        ),
        Some(Err(e)) => Some(view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any()),
        None => None,
    }
    };
    view! {
        <section class="panel" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <form class="inline-form" id="token-form" use:held=ready on:submit=submit>
                <label for="token-name">"Name"</label>
                <input id="token-name" required=true maxlength="100" placeholder="CI script" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <button class="btn" type="submit" disabled=move || !ready.get() || create.pending().get()>"Create token"</button>
            </form>
            {fresh}
            <Transition fallback=|| view! { <Loading what="tokens"/> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <Empty>"No tokens yet."</Empty> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="table" id="token-table">
                                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Starts with"</th><th scope="col">"Made"</th><th scope="col">"Last used"</th><th scope="col">"State"</th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|t| {
                                            let id = t.id.to_string();
                                            let live = t.revoked_at.is_none();
                                            view! {
                                                <tr data-token=t.name.clone()>
                                                    <th scope="row">{t.name.clone()}</th>
                                                    <td><code>{format!("{}…", t.prefix)}</code></td>
                                                    <td><Time at=t.created_at/></td>
                                                    <td>{t.last_used_at.map(|at| view! { <Time at/> }.into_any()).unwrap_or_else(|| "never".into_any())}</td>
                                                    <td>{if live {
                                                        view! {
                                                            <button class="btn ghost small" aria-label=format!("Revoke {}", t.name) disabled=move || !ready.get() on:click=move |_| { revoke.dispatch(RevokeToken { id: id.clone() }); }>"Revoke"</button>
                                                        }.into_any()
                                                    } else {
                                                        view! { <span class="badge status-cancelled">"revoked"</span> }.into_any()
                                                    }}</td>
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
            {move || revoke.value().get().and_then(Result::err).map(|e: AppError| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        </section>
    }
}
