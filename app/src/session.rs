//! Who is signed in, as the dashboard sees it: one [`me`] resource per page load, shared
//! through context. [`AdminOnly`] shows its children to admins only (what it hides, the
//! server refuses anyway); [`SignOut`] ends the session and goes to the sign-in page.

use domain::auth::Person;
use leptos::prelude::*;

use crate::{
    api::{me, SignOut as SignOutFn},
    error::AppError,
    forms::use_ready,
    pages::auth::go,
};

/// The signed-in person (`None` when signed out), loaded once per page.
pub type PersonResource = Resource<Result<Option<Person>, AppError>>;

/// Loads the person and provides the resource as context.
pub fn provide_person() -> PersonResource {
    let person = Resource::new(|| (), |_| me());
    provide_context(person);
    person
}

/// The person resource from context.
pub fn use_person_resource() -> PersonResource {
    expect_context::<PersonResource>()
}

/// The signed-in person, once loaded (`None` while loading or when signed out). Read it
/// inside a `Suspense` so the server waits for it.
pub fn use_person() -> Signal<Option<Person>> {
    let r = use_person_resource();
    Signal::derive(move || r.get().and_then(Result::ok).flatten())
}

/// Its children, for admins only.
#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    let person = use_person_resource();
    let children = StoredValue::new(children);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let admin = person.await.ok().flatten().is_some_and(|p| p.is_admin);
                admin.then(|| children.with_value(|c| c()))
            })}
        </Suspense>
    }
}

/// The sign-out button.
#[component]
pub fn SignOut() -> impl IntoView {
    let action = ServerAction::<SignOutFn>::new();
    let ready = use_ready();
    Effect::new(move |_| {
        if action.value().get().is_some() {
            go("/sign-in");
        }
    });
    view! {
        <button class="btn ghost" id="sign-out" disabled=move || !ready.get() on:click=move |_| { action.dispatch(SignOutFn {}); }>"Sign out"</button>
    }
}
