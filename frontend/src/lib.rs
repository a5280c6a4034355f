//! The browser entry point: hydrates the server-rendered dashboard, asynchronously: a page
//! is a lazy route whose wasm is fetched first (see `app::pages`).
#![recursion_limit = "256"] // the dashboard's view types are deeply nested

/// Called by the generated JS once the WASM module is loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
