//! `/admin` (admins only): the people with accounts, invitations (a one-time sign-up link
//! per invitation) and the audit trail, paged newest first.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{audit_trail, list_invitations, list_people, CreateInvitation},
    components::{Empty, ErrorNote, Loading, Time},
    forms::held,
};

/// `/admin`.
#[component]
pub(crate) fn Admin() -> impl IntoView {
    view! {
        <Title text="Admin"/>
        <h1>"Admin"</h1>
        <People/>
        <Invitations/>
        <AuditTrail/>
    }
}

#[component]
fn People() -> impl IntoView {
    let people = Resource::new(|| (), |_| list_people());
    view! {
        <section class="panel" aria-labelledby="people-heading">
            <h2 id="people-heading">"People"</h2>
            <Transition fallback=|| view! { <Loading what="people"/> }>
                {move || Suspend::new(async move {
                    match people.await {
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="table" id="people-table">
                                    <thead><tr><th scope="col">"Username"</th><th scope="col">"Role"</th><th scope="col">"Builds"</th><th scope="col">"Since"</th></tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|p| view! {
                                            <tr data-person=p.person.username.clone()>
                                                <th scope="row">{p.person.username.clone()}</th>
                                                <td>{if !p.can_sign_in { "cannot sign in" } else if p.person.is_admin { "admin" } else { "member" }}</td>
                                                <td>{p.builds}</td>
                                                <td><Time at=p.created_at/></td>
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
    }
}

#[component]
fn Invitations() -> impl IntoView {
    let create = ServerAction::<CreateInvitation>::new();
    let ready = RwSignal::new(false);
    let list = Resource::new(move || create.version().get(), |_| list_invitations());
    let note = RwSignal::new(String::new());
    let admin = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateInvitation {
            is_admin: admin.get_untracked(),
            note: note.get_untracked(),
        });
    };
    let link = move || match create.value().get() {
        Some(Ok(inv)) => {
            let origin = origin();
            Some(
                view! {
                    <div class="callout" role="status">
                        <p>"Send this one-time link (valid for a week; it is not shown again):"</p>
                        <code class="secret" id="invitation-link">{format!("{origin}/sign-up?code={}", inv.code)}</code>
                    </div>
                }
                .into_any(),
            )
        }
        Some(Err(e)) => Some(view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any()),
        None => None,
    };
    view! {
        <section class="panel" aria-labelledby="invitations-heading">
            <h2 id="invitations-heading">"Invitations"</h2>
            <form class="inline-form" id="invitation-form" use:held=ready on:submit=submit>
                <label for="invitation-note">"For"</label>
                <input id="invitation-note" maxlength="200" placeholder="who it is for" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/>
                <label class="check"><input type="checkbox" id="invitation-admin" prop:checked=move || admin.get() on:change=move |ev| admin.set(event_target_checked(&ev))/>" an admin"</label>
                <button class="btn" type="submit" disabled=move || !ready.get() || create.pending().get()>"Invite"</button>
            </form>
            {link}
            <Transition fallback=|| view! { <Loading what="invitations"/> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(items) if items.is_empty() => view! { <Empty>"No invitations yet."</Empty> }.into_any(),
                        Ok(items) => view! {
                            <div class="table-wrap">
                                <table class="table" id="invitation-table">
                                    <thead><tr><th scope="col">"For"</th><th scope="col">"Role"</th><th scope="col">"Made"</th><th scope="col">"State"</th></tr></thead>
                                    <tbody>
                                        {items.into_iter().map(|i| view! {
                                            <tr>
                                                <th scope="row">{if i.note.is_empty() { "—".to_owned() } else { i.note.clone() }}</th>
                                                <td>{if i.is_admin { "admin" } else { "member" }}</td>
                                                <td><Time at=i.created_at/></td>
                                                <td>{match (&i.used_by, i.used_at) {
                                                    (Some(who), _) => format!("used by {who}"),
                                                    (None, Some(_)) => "used".to_owned(),
                                                    (None, None) => format!("open until {}", i.expires_at.format("%Y-%m-%d %H:%M UTC")),
                                                }}</td>
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
    }
}

/// This page's origin (`http://host:port`), for invitation links.
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

#[component]
fn AuditTrail() -> impl IntoView {
    // The pages walked so far: `None` is the newest page, then each page's `next_before`.
    let before = RwSignal::new(None::<i64>);
    let page = Resource::new(move || before.get(), audit_trail);
    view! {
        <section class="panel" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            <Transition fallback=|| view! { <Loading what="the audit trail"/> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) if p.entries.is_empty() => view! { <Empty>"Nothing has been done yet."</Empty> }.into_any(),
                        Ok(p) => {
                            let next = p.next_before;
                            view! {
                                <div class="table-wrap">
                                    <table class="table" id="audit-table">
                                        <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"Target"</th><th scope="col">"Outcome"</th><th scope="col">"From"</th></tr></thead>
                                        <tbody>
                                            {p.entries.into_iter().map(|e| view! {
                                                <tr data-action=e.action.clone() data-success=e.success.to_string()>
                                                    <td><Time at=e.created_at/></td>
                                                    <td>{e.actor.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <th scope="row">{e.action.clone()}</th>
                                                    <td class="mono small">{e.target_id.clone().unwrap_or_default()}</td>
                                                    <td>{if e.success { "ok" } else { "failed" }}</td>
                                                    <td class="small">{e.client_addr.clone().unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <div class="pager">
                                    {move || before.get().is_some().then(|| view! { <button class="btn ghost" on:click=move |_| before.set(None)>"Newest"</button> })}
                                    {next.map(|n| view! { <button class="btn ghost" id="audit-older" on:click=move |_| before.set(Some(n))>"Older"</button> })}
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
