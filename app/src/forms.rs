//! Forms and buttons that lose nothing done before the page is live.
//!
//! A page arrives as server-rendered HTML and becomes live when its part of the bundle has
//! loaded and hydrated it (for a lazy page, a few hundred milliseconds after the first paint).
//! In between, a person can already type, tick and click. Two things would go wrong:
//! - Hydration sets every `prop:value`/`prop:checked` to the page's state, wiping what was
//!   typed; and a field changed before its `on:input` handler existed never reached that
//!   state (the uncontrolled sign-in fields, the selects).
//! - A click on a button whose handler is not attached does nothing, and a form sent then
//!   is submitted natively: a GET to the same address that loads the page again, with what
//!   was typed in its query (passwords included).
//!
//! So:
//! - [`held`], a directive on each `<form>` (`<form use:held=ready ...>`): when the form is
//!   hydrated, before its fields are, it notes every field the person changed from its
//!   server-rendered default; once the page is hydrated it puts those values back and sends
//!   each field `input` and `change` events, so the page's own handlers take them in exactly
//!   as if they had been typed now; then it sets `ready`.
//! - The form's buttons are `disabled` until `ready` (the server renders them disabled). A
//!   click, or Enter in a field, before then is refused by the browser itself (a disabled
//!   default button blocks implicit submission) instead of being lost or sent natively.
//! - [`use_ready`]: the same `false`-until-live signal for a component's buttons that sit
//!   outside a form (revoke, cancel, sign out).

use leptos::prelude::*;

/// `false` until this component is hydrated (or mounted) in the browser and its handlers
/// work; always `false` on the server, so a button that needs the bundle is served disabled.
///
/// An `RwSignal` rather than a `Signal`: the shell (sign-out) uses this, and `Signal`'s
/// machinery in the shell's wasm cost the first page 33 kB (measured).
pub(crate) fn use_ready() -> RwSignal<bool> {
    let ready = RwSignal::new(false);
    // Effects run only in the browser, after the view they belong to is hydrated.
    Effect::new(move |_| ready.set(true));
    ready
}

/// The directive `use:held=ready` on a `<form>`: keeps what was typed into the
/// server-rendered form before the page was live, then sets `ready` (see the module header).
/// On a form rendered in the browser (after a navigation) nothing was typed yet, and
/// `ready` is set at once.
pub(crate) fn held(form: leptos::tachys::renderer::types::Element, ready: RwSignal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        // The form's attributes are hydrated before its children: the fields still hold
        // what the person left in them.
        let typed = browser::changed(&form);
        // After the page's hydration (including the parts that finish asynchronously), when
        // every field's handlers are attached.
        set_timeout(
            move || {
                for field in typed {
                    field.replay();
                }
                ready.try_set(true);
            },
            std::time::Duration::ZERO,
        );
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (form, ready);
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::JsCast;
    use web_sys::{Element, Event, EventInit, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

    /// A field the person changed before the page was live, and what they left in it.
    pub(super) enum Typed {
        Text(HtmlInputElement, String),
        Area(HtmlTextAreaElement, String),
        Tick(HtmlInputElement, bool),
        Choice(HtmlSelectElement, i32),
    }

    /// Every field of `form` whose state differs from the server's HTML.
    pub(super) fn changed(form: &Element) -> Vec<Typed> {
        let Ok(nodes) = form.query_selector_all("input, textarea, select") else {
            return Vec::new();
        };
        (0..nodes.length())
            .filter_map(|i| nodes.item(i))
            .filter_map(|node| {
                if let Some(input) = node.dyn_ref::<HtmlInputElement>() {
                    match input.type_().as_str() {
                        "checkbox" | "radio" => (input.checked() != input.default_checked())
                            .then(|| Typed::Tick(input.clone(), input.checked())),
                        "submit" | "button" | "reset" | "image" | "hidden" | "file" => None,
                        _ => {
                            (input.value() != input.default_value()).then(|| Typed::Text(input.clone(), input.value()))
                        }
                    }
                } else if let Some(area) = node.dyn_ref::<HtmlTextAreaElement>() {
                    (area.value() != area.default_value().unwrap_or_default())
                        .then(|| Typed::Area(area.clone(), area.value()))
                } else if let Some(select) = node.dyn_ref::<HtmlSelectElement>() {
                    (select.selected_index() != default_index(select))
                        .then(|| Typed::Choice(select.clone(), select.selected_index()))
                } else {
                    None
                }
            })
            .collect()
    }

    /// The option a select shows before anyone touches it: the first marked `selected`, or
    /// the first.
    fn default_index(select: &HtmlSelectElement) -> i32 {
        let options = select.options();
        (0..options.length())
            .find(|&i| options.item(i).is_some_and(|o| o.has_attribute("selected")))
            .map_or(0, |i| i as i32)
    }

    impl Typed {
        /// Puts the value back where hydration replaced it, and tells the page's handlers.
        pub(super) fn replay(self) {
            let el: HtmlElement = match self {
                Typed::Text(input, value) => {
                    if input.value() != value {
                        input.set_value(&value);
                    }
                    input.unchecked_into()
                }
                Typed::Area(area, value) => {
                    if area.value() != value {
                        area.set_value(&value);
                    }
                    area.unchecked_into()
                }
                Typed::Tick(input, on) => {
                    input.set_checked(on);
                    input.unchecked_into()
                }
                Typed::Choice(select, index) => {
                    select.set_selected_index(index);
                    select.unchecked_into()
                }
            };
            let init = EventInit::new();
            init.set_bubbles(true);
            for kind in ["input", "change"] {
                if let Ok(event) = Event::new_with_event_init_dict(kind, &init) {
                    let _ = el.dispatch_event(&event);
                }
            }
        }
    }
}
