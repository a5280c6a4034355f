// The browser check's driver: evaluated in the generated app's page (through CDP's
// Runtime.evaluate, which the preview's CSP does not restrict), one action per call.
// It drives the app the way a person would, through the same data-testid hooks the
// shell renders (see generator/src/assets/app.js), and answers with what it saw.
//
//   { action: "ready" }            waits for the shell; the app's name and pages
//   { action: "open", page }       opens a page from the navigation
//   { action: "flow", page, token }  on a list page: create a record with every field
//                                  filled, see it listed, search for it, delete it, then
//                                  add it again (kept for the screenshot)
//   { action: "phone" }            whether the page is wider than the window
//
// Every answer is { ok, steps, problems, ... }; problems are sentences for a person (and a
// repair prompt).
async function (args) {
  "use strict";
  var sleep = function (ms) { return new Promise(function (r) { setTimeout(r, ms); }); };
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  async function until(what, test, ms) {
    var end = Date.now() + (ms || 4000);
    for (;;) {
      var v = test();
      if (v) { return v; }
      if (Date.now() > end) { throw new Error(what); }
      await sleep(25);
    }
  }
  function setValue(el, value) {
    var proto = el.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype
      : el.tagName === "SELECT" ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
    var setter = Object.getOwnPropertyDescriptor(proto, "value").set;
    setter.call(el, value);
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }
  var config = window.NEXUS_CONFIG || {};
  var pages = Array.isArray(config.pages) ? config.pages : [];
  var steps = [];
  var problems = [];

  if (args.action === "ready") {
    await until("the app did not draw its navigation within 8 s", function () {
      return $("[data-testid^=\"nav-\"]");
    }, 8000);
    return {
      ok: true,
      name: config.name || "",
      pages: pages.map(function (p) { return { id: p.id, kind: p.kind, entity: p.entity || null, title: p.title || p.id }; })
    };
  }

  var page = null;
  pages.forEach(function (p) { if (p.id === args.page) { page = p; } });

  if (args.action === "open") {
    var link = $("[data-testid=\"nav-" + args.page + "\"]");
    if (!link) { return { ok: false, steps: steps, problems: ["the navigation has no link to the page " + args.page] }; }
    link.click();
    try {
      await until("the page " + args.page + " did not open", function () {
        return String(location.hash) === "#/" + args.page && $("#main") && $("#main").children.length > 0;
      });
      await sleep(50);
      steps.push("opened");
    } catch (e) {
      problems.push(String(e.message || e));
    }
    var broken = $("#main .page .page-sub");
    if (broken && /could not be loaded/.test(broken.textContent || "")) {
      problems.push("the page " + args.page + " says it could not be loaded (its module did not register)");
    }
    return { ok: problems.length === 0, steps: steps, problems: problems };
  }

  if (args.action === "phone") {
    var root = document.documentElement;
    var wide = root.scrollWidth > window.innerWidth + 1;
    return {
      ok: !wide,
      steps: ["measured"],
      problems: wide ? ["at " + window.innerWidth + " px wide the page is " + root.scrollWidth + " px wide (it scrolls sideways)"] : [],
      width: window.innerWidth,
      content_width: root.scrollWidth
    };
  }

  if (args.action !== "flow" || !page) {
    return { ok: false, steps: steps, problems: ["the check asked for an unknown action or page"] };
  }
  var def = null;
  (config.entities || []).forEach(function (e) { if (e.name === page.entity) { def = e; } });
  if (!def) { return { ok: false, steps: steps, problems: ["the page " + page.id + " shows an entity the app does not define"] }; }

  var token = args.token || "Verify";
  // Candidate values per kind: the first that the module accepts is kept.
  function candidates(f) {
    var n = f.name || "";
    switch (f.kind) {
      case "text": return [(token + " " + (f.label || n)).slice(0, 60), token];
      case "long_text": return ["Notes about " + token];
      case "number":
        if (/year|vintage/.test(n)) { return ["2001", "2020"]; }
        return ["3", "10", "1", "2001", "0", "50", "100"];
      case "date": return ["2024-05-01", new Date().toISOString().slice(0, 10)];
      case "email": return ["test@example.com"];
      case "url": return ["https://example.com", "example.com"];
      case "color": return ["#123456"];
      case "time": return ["09:30"];
      default: return [token];
    }
  }
  var records = function () { return $$("[data-testid=\"record\"]"); };
  var search = $("[data-testid=\"search\"]");
  if (search && search.value) { setValue(search, ""); await sleep(20); }

  async function create(attempt) {
    var newButton = $("[data-testid=\"new-" + def.name + "\"]");
    if (!newButton) { throw new Error("the page has no \u201cnew " + def.name + "\u201d button"); }
    var form = $("[data-testid=\"form-" + def.name + "\"]");
    if (!form) {
      newButton.click();
      form = await until("the form for a new " + def.name + " did not open", function () {
        return $("[data-testid=\"form-" + def.name + "\"]");
      });
    }
    (def.fields || []).forEach(function (f) {
      var box = $("[data-field=\"" + f.name + "\"]", form);
      if (!box) { return; }
      if (f.kind === "boolean") {
        var cb = $("input[type=checkbox]", box);
        if (cb && !cb.checked) { cb.click(); }
      } else if (f.kind === "select" || f.kind === "reference") {
        var sel = $("select", box);
        if (sel && sel.options.length > 1) { setValue(sel, sel.options[1].value); }
      } else if (f.kind === "rating") {
        var star = $("label[for$=\"-4\"]", box);
        if (star) { star.click(); }
      } else {
        var input = $("input, textarea", box);
        var values = candidates(f);
        if (input) { setValue(input, values[Math.min(attempt, values.length - 1)]); }
      }
    });
    var tags = $("[data-field=\"tags\"] input", form);
    if (tags) { setValue(tags, "verify"); }
    var save = $("[data-testid=\"save\"]", form);
    if (!save) { throw new Error("the " + def.name + " form has no save button"); }
    save.click();
    await sleep(30);
  }

  try {
    var before = records().length;
    var saved = false;
    var lastErrors = [];
    for (var attempt = 0; attempt < 4 && !saved; attempt++) {
      await create(attempt);
      try {
        await until("", function () { return records().length > before; }, 1500);
        saved = true;
      } catch (e) {
        lastErrors = $$(".field-error", $("[data-testid=\"form-" + def.name + "\"]") || document)
          .filter(function (p) { return !p.hidden && p.textContent; })
          .map(function (p) {
            var box = p.closest("[data-field]");
            return (box ? box.getAttribute("data-field") + ": " : "") + p.textContent.trim();
          });
      }
    }
    if (!saved) {
      throw new Error("a new " + def.name + " with every field filled was not saved" +
        (lastErrors.length ? "; the form said: " + lastErrors.join("; ") : " (the form showed no error)"));
    }
    steps.push("created");
    var card = records()[0];
    var first = (def.fields || [])[0];
    var title = ($("h3", card) || card).textContent.trim();
    if (first && first.kind === "text" && title.indexOf(token) === -1) {
      throw new Error("the new " + def.name + " is listed as \u201c" + title + "\u201d, without the " + (first.label || first.name) + " it was given");
    }
    steps.push("listed");
    if (search) {
      var needle = first && first.kind === "text" ? token.toLowerCase() : title.slice(0, 3);
      setValue(search, needle);
      await until("searching for \u201c" + needle + "\u201d did not find the new " + def.name, function () { return records().length === 1; });
      setValue(search, "no-such-thing-xyz-" + token);
      await until("searching for something that is not there still lists records", function () { return records().length === 0; });
      setValue(search, "");
      await until("clearing the search did not list the records again", function () { return records().length === before + 1; });
      steps.push("searched");
    }
    var del = $("[data-testid=\"delete\"]", records()[0]);
    if (!del) { throw new Error("a listed " + def.name + " has no delete button"); }
    del.click();
    var confirm = await until("deleting did not ask for confirmation", function () { return $("[data-testid=\"confirm-delete\"]"); });
    confirm.click();
    await until("the deleted " + def.name + " is still listed", function () { return records().length === before; });
    steps.push("deleted");
    // One record again, for the screenshot.
    await create(0);
    await until("the second " + def.name + " was not saved", function () { return records().length > before; }, 1500);
  } catch (e) {
    problems.push(String(e && e.message || e));
  }
  return { ok: problems.length === 0, steps: steps, problems: problems };
}
